"""mailwarden for Hermes Agent: one tool per mailwarden action, forwarded to the sidecar's agent socket.

Standard library only. The plugin holds nothing but the socket path and the agent key, both read from
the environment (MAILWARDEN_SOCKET, MAILWARDEN_AGENT_KEY or MAILWARDEN_AGENT_KEY_FILE), never from tool
arguments. Handlers return JSON strings and never raise.
"""

import http.client
import json
import os
import re
import socket
import uuid

RUNTIME = "hermes"
TOOLSET = "mailwarden"
STATUS_TOOL = "mail_proposal_status"
DEFAULT_TIMEOUT = 60.0
CATALOG_TIMEOUT = 3.0
MAX_BODY_BYTES = 32 * 1024 * 1024
MAX_KEY_FILE_BYTES = 16 * 1024
# What Hermes shows as missing while the toolset is unavailable (the manifest's requires_env says the same).
REQUIRES_ENV = ["MAILWARDEN_SOCKET", "MAILWARDEN_AGENT_KEY_FILE"]

_HERE = os.path.dirname(os.path.abspath(__file__))
_TOOLS_FILE = os.path.join(_HERE, "tools.json")
_FALLBACK_SESSION = "hermes-" + uuid.uuid4().hex
_SESSION_FIELD = re.compile(r"^.{1,256}$", re.S)
_PROPOSAL_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")

_STATUSES = {
    "executed", "failed", "denied", "pending_approval", "approved",
    "rejected", "expired", "cancelled", "outcome_unknown",
}
_EFFECTS = {"allow", "approve", "deny"}


class _Failure(Exception):
    """The sidecar could not be asked, or its answer could not be read."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind
        self.message = message


class _UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP/1.1 over a unix socket; the path is fixed when the connection is made."""

    def __init__(self, socket_path, timeout):
        super().__init__("localhost", timeout=timeout)
        self._socket_path = socket_path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._socket_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


def _load_generated():
    with open(_TOOLS_FILE, encoding="utf-8") as f:
        return json.load(f)


def load_tools():
    """The generated tool list (tools.json, written from the shared schemas)."""
    return _load_generated()["tools"]


# The shared error vocabulary (tools.json "protocol"): the HTTP codes each proposal status may arrive with
# (anything else is an answer we do not trust), and the advice for an error answer by HTTP status.
_PROTOCOL = _load_generated()["protocol"]
_HTTP_FOR_STATUS = {status: set(codes) for status, codes in _PROTOCOL["httpForStatus"].items()}
_ADVICE_BY_STATUS = {int(code): text for code, text in _PROTOCOL["adviceByStatus"].items()}


def load_config(environ=None):
    """Returns ({socket, key}, None) or (None, problem). SECURITY: environment only, never tool arguments."""
    env = os.environ if environ is None else environ
    socket_path = env.get("MAILWARDEN_SOCKET", "").strip()
    if not socket_path:
        return None, "MAILWARDEN_SOCKET is not set (path of the mailwarden agent socket)"
    if not os.path.isabs(socket_path):
        return None, "MAILWARDEN_SOCKET must be an absolute path"
    key = env.get("MAILWARDEN_AGENT_KEY")
    key_file = env.get("MAILWARDEN_AGENT_KEY_FILE")
    if key and key_file:
        return None, "set either MAILWARDEN_AGENT_KEY or MAILWARDEN_AGENT_KEY_FILE, not both"
    if key_file:
        try:
            if os.path.getsize(key_file) > MAX_KEY_FILE_BYTES:
                return None, "key file %s is too large" % key_file
            with open(key_file, encoding="utf-8") as f:
                key = f.read()
        except OSError as err:
            return None, "cannot read key file %s (%s); check the path and permissions" % (key_file, err.strerror)
    key = (key or "").strip()
    if not key:
        return None, "no agent key: set MAILWARDEN_AGENT_KEY or MAILWARDEN_AGENT_KEY_FILE"
    if len(key) > 4096 or re.search(r"[\s\x00-\x1f]", key):
        return None, "the agent key must be one line of printable characters"
    return {"socket": socket_path, "key": key}, None


def _is_token_required(status, body):
    error = body.get("error") if isinstance(body, dict) else None
    return status == 401 and isinstance(error, dict) and error.get("code") == "TOKEN_REQUIRED"


def _request(config, method, path, body=None, timeout=DEFAULT_TIMEOUT):
    """One call with the agent key, or, where the sidecar takes the key only for minting
    (tokens.requireTokens), with a fresh single-use token minted from it."""
    if not config.get("tokens"):
        status, answer = _send(config, config["key"], method, path, body, timeout)
        if not _is_token_required(status, answer):
            return status, answer
        config["tokens"] = True
    status, minted = _send(config, config["key"], "POST", "/v1/auth/token", None, timeout)
    token = minted.get("token") if isinstance(minted, dict) else None
    if status != 200 or not isinstance(token, str):
        return status, minted
    return _send(config, token, method, path, body, timeout)


def _send(config, credential, method, path, body, timeout):
    payload = None if body is None else json.dumps(body).encode("utf-8")
    headers = {"Authorization": "Bearer " + credential, "Accept": "application/json"}
    if payload is not None:
        headers["Content-Type"] = "application/json"
    conn = _UnixHTTPConnection(config["socket"], timeout)
    try:
        try:
            try:
                conn.request(method, path, body=payload, headers=headers)
            except (BrokenPipeError, ConnectionResetError):
                # The sidecar may answer and close before the whole request arrived (a refused key, a body
                # too large): its answer is already here to read. Without one, getresponse() fails below.
                pass
            res = conn.getresponse()
            raw = res.read(MAX_BODY_BYTES + 1)
        except socket.timeout:
            raise _Failure("timeout", "the sidecar did not answer within %d s" % timeout) from None
        except (OSError, http.client.HTTPException) as err:
            hint = ""
            if isinstance(err, (FileNotFoundError, ConnectionRefusedError)):
                hint = " (is the mailwarden sidecar running, and is MAILWARDEN_SOCKET right?)"
            raise _Failure(
                "unreachable", "cannot reach the mailwarden sidecar at %s: %s%s" % (config["socket"], err, hint)
            ) from None
        if len(raw) > MAX_BODY_BYTES:
            raise _Failure("invalid_answer", "the sidecar's answer exceeded %d bytes" % MAX_BODY_BYTES)
        try:
            return res.status, json.loads(raw.decode("utf-8"))
        except ValueError:
            raise _Failure("invalid_answer", "the sidecar answered HTTP %d without JSON" % res.status) from None
    finally:
        conn.close()


def _is_str(value):
    return isinstance(value, str)


def _valid_proposal(body):
    """Structural check of a proposal answer (the shape in shared/wire.ts)."""
    if not isinstance(body, dict) or not isinstance(body.get("proposal"), dict):
        return None
    p = body["proposal"]
    d = p.get("decision")
    ok = (
        _is_str(p.get("id")) and _is_str(p.get("hash")) and _is_str(p.get("action"))
        and p.get("status") in _STATUSES and _is_str(p.get("createdAt")) and _is_str(p.get("correlationId"))
        and isinstance(d, dict) and d.get("effect") in _EFFECTS and _is_str(d.get("message"))
        and isinstance(d.get("rules"), list) and all(_is_str(r) for r in d["rules"])
        and (p.get("error") is None or (isinstance(p["error"], dict) and _is_str(p["error"].get("code"))))
    )
    return p if ok else None


def _valid_error(body):
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return None
    e = body["error"]
    return e if _is_str(e.get("code")) and _is_str(e.get("message")) else None


def format_result(http_status, body):
    """Turns a sidecar answer into the dict the model reads. Only a consistent proposal reads as success."""
    p = _valid_proposal(body)
    if p is not None:
        status = p["status"]
        if http_status not in _HTTP_FOR_STATUS.get(status, set()):
            return _invalid(http_status, 'proposal status "%s" does not match HTTP %d' % (status, http_status))
        pid = p["id"]
        rules = p["decision"]["rules"]
        why = p["decision"]["message"]
        if status == "executed":
            return {"status": "executed", "proposalId": pid, "result": p.get("result")}
        if status == "pending_approval":
            out = {
                "status": "pending_approval",
                "proposalId": pid,
                "message": "Waiting for the owner's approval (proposal %s). Check later with %s. Nothing has "
                "happened yet; do not submit the same request again." % (pid, STATUS_TOOL),
                "policy": why,
                "rules": rules,
            }
            if _is_str(p.get("expiresAt")):
                out["expiresAt"] = p["expiresAt"]
            return out
        if status == "approved":
            return {
                "status": "approved",
                "proposalId": pid,
                "message": "The owner approved it; it is being carried out. Check again with %s." % STATUS_TOOL,
            }
        if status == "denied":
            return {
                "error": "Denied by the mailbox owner's policy: %s. Nothing was done. Do not retry this request in "
                "another form." % (why or "no reason given"),
                "status": "denied",
                "proposalId": pid,
                "rules": rules,
            }
        if status == "failed":
            err = p.get("error") or {}
            return {
                "error": "The request was allowed but failed when carried out: %s: %s"
                % (err.get("code", "unknown"), err.get("message", "")),
                "status": "failed",
                "proposalId": pid,
            }
        texts = {
            "rejected": "The owner rejected it; nothing was done. Do not submit it again unless the user asks.",
            "expired": "It expired without the owner's decision; nothing was done.",
            "cancelled": "It was cancelled; nothing was done.",
            "outcome_unknown": "Its outcome is unknown (it was interrupted while being carried out, so it may have "
            "happened); it will not be repeated. Check the mailbox before trying again.",
        }
        return {"error": texts[status], "status": status, "proposalId": pid}
    e = _valid_error(body)
    if e is not None and http_status >= 400:
        return {
            "error": "mailwarden refused the request (HTTP %d, %s): %s %s"
            % (http_status, e["code"], e["message"], _ADVICE_BY_STATUS.get(http_status, _PROTOCOL["defaultAdvice"])),
            "status": "rejected_request",
            "httpStatus": http_status,
        }
    return _invalid(http_status, "the answer is not a proposal or an error")


def _invalid(http_status, detail):
    return {
        "error": "mailwarden gave an answer the plugin cannot understand (HTTP %d: %s). Treat the request as not "
        "done; do not assume it succeeded." % (http_status, detail),
        "status": "invalid_answer",
    }


def _type_ok(kind, value):
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    return True


def validate(schema, value, path="(parameters)"):
    """The JSON Schema subset the generated schemas use. Returns a list of problems (empty when valid)."""
    problems = []
    kind = schema.get("type")
    if kind and not _type_ok(kind, value):
        return ["%s: must be of type %s" % (path, kind)]
    if "enum" in schema and value not in schema["enum"]:
        problems.append("%s: must be one of %s" % (path, ", ".join(map(str, schema["enum"]))))
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            problems.append("%s: is too short" % path)
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            problems.append("%s: must be at most %d characters" % (path, schema["maxLength"]))
        if "pattern" in schema and not re.search(schema["pattern"], value):
            problems.append("%s: has the wrong format" % path)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            problems.append("%s: must be at least %s" % (path, schema["minimum"]))
        if "maximum" in schema and value > schema["maximum"]:
            problems.append("%s: must be at most %s" % (path, schema["maximum"]))
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            problems.append("%s: must list at least %d item(s)" % (path, schema["minItems"]))
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            problems.append("%s: must list at most %d items" % (path, schema["maxItems"]))
        if isinstance(schema.get("items"), dict):
            for i, item in enumerate(value):
                problems.extend(validate(schema["items"], item, "%s.%d" % (path, i)))
    if isinstance(value, dict):
        props = schema.get("properties", {})
        # SECURITY: unknown keys (socketPath, url, key, ...) are refused before anything is sent.
        if schema.get("additionalProperties") is False:
            unknown = sorted(k for k in value if k not in props)
            if unknown:
                problems.append("%s: unknown parameter(s) %s" % (path, ", ".join(unknown)))
        for name in schema.get("required", []):
            if name not in value:
                problems.append("%s: is required" % name)
        for name, sub in props.items():
            if name in value:
                problems.extend(validate(sub, value[name], name))
    return problems


def _session(kwargs):
    sid = kwargs.get("session_id") or kwargs.get("task_id")
    session = {"id": sid if _is_str(sid) and _SESSION_FIELD.match(sid) else _FALLBACK_SESSION, "runtime": RUNTIME}
    call_id = kwargs.get("tool_call_id")
    if _is_str(call_id) and _SESSION_FIELD.match(call_id):
        session["toolCallId"] = call_id
    return session


def call_tool(tool, args, environ=None, **kwargs):
    """Runs one tool call and returns the result as a dict."""
    if args is None:
        args = {}
    problems = validate(tool["schema"]["parameters"], args)
    if problems:
        return {
            "error": "Invalid parameters for %s: %s. Nothing was sent; fix them and call again."
            % (tool["name"], "; ".join(problems[:10])),
            "status": "invalid_params",
        }
    config, problem = load_config(environ)
    if config is None:
        return {
            "error": "The mailwarden plugin is not configured (%s); tell the user. Nothing was done." % problem,
            "status": "not_configured",
        }
    try:
        if tool["kind"] == "status":
            pid = args["proposalId"]
            if not _PROPOSAL_ID.match(pid):
                return {"error": "proposalId has the wrong format", "status": "invalid_params"}
            wait = int(args.get("waitSeconds", 0))
            query = "?wait=%d" % wait if wait > 0 else ""
            status, body = _request(config, "GET", "/v1/proposals/" + pid + query, timeout=wait + 15.0)
        else:
            params = {k: v for k, v in args.items() if k != "justification"}
            request = {
                "action": tool["action"],
                "params": params,
                "session": _session(kwargs),
                "correlationId": "plg-" + uuid.uuid4().hex,
            }
            if _is_str(args.get("justification")) and args["justification"]:
                request["justification"] = args["justification"]
            status, body = _request(config, "POST", "/v1/proposals", request)
        return format_result(status, body)
    except _Failure as failure:
        unsure = failure.kind in ("timeout", "invalid_answer")
        return {
            "error": "mailwarden is not available: %s.%s"
            % (
                failure.message,
                " The request may or may not have been received; check before trying again."
                if unsure
                else " Nothing was done.",
            ),
            "status": "unreachable" if failure.kind != "invalid_answer" else "invalid_answer",
        }
    except Exception as err:  # noqa: BLE001 - a handler must never raise into the agent loop
        return {"error": "The mailwarden plugin failed: %s. Treat the request as not done." % err, "status": "error"}


def _make_handler(tool):
    def handler(args, **kwargs):
        try:
            return json.dumps(call_tool(tool, args, **kwargs), ensure_ascii=False)
        except Exception as err:  # noqa: BLE001
            return json.dumps({"error": "The mailwarden plugin failed: %s" % err, "status": "error"})

    handler.__name__ = "mailwarden_" + tool["name"]
    return handler


def _check_available():
    config, _problem = load_config()
    return config is not None and os.path.exists(config["socket"])


def visible_tools(tools, config):
    """Hides tools the policy denies, when the catalogue can be read now; otherwise offers them all."""
    if config is None:
        return tools
    try:
        status, body = _request(config, "GET", "/v1/catalog", timeout=CATALOG_TIMEOUT)
    except _Failure:
        return tools
    if status != 200 or not isinstance(body, dict) or not isinstance(body.get("actions"), list):
        return tools
    effects = {}
    for entry in body["actions"]:
        if isinstance(entry, dict) and _is_str(entry.get("action")) and entry.get("effect") in _EFFECTS:
            effects[entry["action"]] = entry["effect"]
    return [t for t in tools if t["kind"] == "status" or effects.get(t["action"]) in ("allow", "approve")]


def register(ctx):
    """Hermes entry point: registers the mailwarden tools the policy does not deny."""
    config, _problem = load_config()
    hide = os.environ.get("MAILWARDEN_HIDE_DENIED", "1") != "0"
    tools = load_tools()
    for tool in visible_tools(tools, config) if hide else tools:
        ctx.register_tool(
            tool["name"],
            TOOLSET,
            tool["schema"],
            _make_handler(tool),
            check_fn=_check_available,
            requires_env=REQUIRES_ENV,
        )
