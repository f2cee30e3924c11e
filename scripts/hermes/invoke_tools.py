"""Drives the mailwarden Hermes plugin inside a real Hermes Agent, the way the agent loop does.

Run with the Python of the hermes-agent install, HERMES_HOME pointing at a home whose plugins/ holds
mailwarden and whose config enables it. Hermes's own plugin loader finds and loads the plugin when
model_tools is imported; every call goes through model_tools.handle_function_call, the agent's tool
dispatcher (argument coercion, hooks, middleware, then tools.registry.dispatch).

Usage: python invoke_tools.py configured|show-denied|unconfigured
Exit 0 when every check of the mode passed; 1 with the failed check on stderr.
"""

import json
import os
import sys
import uuid

MODE = sys.argv[1] if len(sys.argv) > 1 else ""
if MODE not in ("configured", "show-denied", "unconfigured"):
    sys.stderr.write(__doc__)
    sys.exit(2)

import model_tools  # noqa: E402  (importing it runs Hermes's plugin discovery)
from hermes_cli.plugins import get_plugin_manager  # noqa: E402
from tools.registry import registry  # noqa: E402

SESSION = "hermes-e2e-" + uuid.uuid4().hex[:8]


def check(ok, what, detail=""):
    if not ok:
        sys.stderr.write("FAIL [%s] %s%s\n" % (MODE, what, (": " + str(detail)[:2000]) if detail else ""))
        sys.exit(1)
    print("ok   [%s] %s" % (MODE, what))


def call(name, args):
    """One tool call through the agent's dispatcher; the answer the model would read, parsed."""
    raw = model_tools.handle_function_call(
        name, args, task_id=SESSION, tool_call_id="call-" + uuid.uuid4().hex[:8], session_id=SESSION
    )
    check(isinstance(raw, str), "%s answers with a string" % name, raw)
    try:
        return json.loads(raw)
    except ValueError:
        check(False, "%s answers with JSON" % name, raw)


manager = get_plugin_manager()
plugin = manager._plugins.get("mailwarden")
check(plugin is not None, "Hermes's loader discovered the plugin in HERMES_HOME/plugins", sorted(manager._plugins))
check(plugin.enabled and plugin.error is None, "the plugin loaded (register() ran)", plugin.error)
check(plugin.manifest.source == "user", "it loaded as a user plugin", plugin.manifest.source)
required = [e["name"] if isinstance(e, dict) else e for e in plugin.manifest.requires_env]
check(
    "MAILWARDEN_SOCKET" in required and "MAILWARDEN_AGENT_KEY_FILE" in required,
    "the manifest declares what it needs (requires_env)",
    required,
)
definitions = {d["function"]["name"] for d in model_tools.get_tool_definitions(enabled_toolsets=["mailwarden"], quiet_mode=True)}

if MODE == "unconfigured":
    registered = plugin.tools_registered
    check("mail_search" in registered, "the tools are registered", registered)
    check(not definitions, "no tool is offered to the model while the plugin is unconfigured", definitions)
    _available, unavailable = registry.check_tool_availability(quiet=True)
    entry = next((u for u in unavailable if u["name"] == "mailwarden"), None)
    check(entry is not None, "Hermes lists the mailwarden toolset as unavailable", unavailable)
    check(
        "MAILWARDEN_SOCKET" in entry["env_vars"] and "MAILWARDEN_AGENT_KEY_FILE" in entry["env_vars"],
        "...naming the variables it needs",
        entry,
    )
    answer = call("mail_search", {"query": "in:inbox"})
    check(answer.get("status") == "not_configured", "a call anyway is refused as not configured", answer)
    check("MAILWARDEN_SOCKET is not set" in answer.get("error", ""), "...saying what is missing", answer)
    print("PASS [%s]" % MODE)
    sys.exit(0)

check("mail_search" in definitions, "the model is offered mail_search", sorted(definitions))
check("mail_proposal_status" in definitions, "...and mail_proposal_status", sorted(definitions))
if MODE == "configured":
    # scoped_execution denies sending: the model is not even shown the tool.
    check("mail_send" not in definitions, "a tool the policy denies is not offered", sorted(definitions))

answer = call("mail_search", {"query": "in:inbox", "max": "5"})
check(answer.get("status") == "executed", "a read executes (mail_search)", answer)
threads = answer.get("result", {}).get("threads", [])
check(len(threads) > 0, "...and returns the mailbox's threads", answer)

answer = call("mail_search", {"query": "in:inbox", "socketPath": "/tmp/evil.sock"})
check(answer.get("status") == "invalid_params", "a socketPath argument from the agent is refused", answer)
check("socketPath" in answer.get("error", ""), "...naming it", answer)

answer = call("mail_thread_get", {"threadId": threads[0]["threadId"]})
check(answer.get("status") == "executed", "a second read executes (mail_thread_get)", answer)

if MODE == "show-denied":
    check("mail_send" in definitions, "with MAILWARDEN_HIDE_DENIED=0 the denied send is offered", sorted(definitions))
    answer = call("mail_send", {"to": ["someone@example.com"], "subject": "Hi", "body": "Hello"})
    check(answer.get("status") == "denied", "a send the policy denies is refused", answer)
    error = answer.get("error", "")
    check(
        "Denied by the mailbox owner's policy: policy" in error and "Nothing was done" in error,
        "...with the policy's reason, saying nothing was done",
        answer,
    )
    check(answer.get("rules") == ["commands.gmail.send"], "...and the rule that denied it", answer)
print("PASS [%s]" % MODE)
