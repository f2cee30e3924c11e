// The three kinds of notification sink: a command (payload on stdin), a signed webhook, an ntfy topic.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { NotifySink } from '../config/index.ts';
import { MailwardenError } from '../errors.ts';
import { type NotificationPayload, summaryLine } from './payload.ts';
import { SIGNATURE_HEADER, signWebhookBody, TIMESTAMP_HEADER } from './signature.ts';

export class NotifyError extends MailwardenError<'NOTIFY_SINK_INVALID'> {
  override readonly name = 'NotifyError';
}

/**
 * Why one attempt failed, as a short code that is safe for evidence (no URLs with tokens, no stderr text):
 * e.g. "timeout", "http_503", "exit_2", "spawn_ENOENT", "network_ECONNREFUSED".
 */
export class DeliveryFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DeliveryFailure';
  }
}

export interface DeliveryContext {
  /** Aborts the attempt: its timeout, or the sidecar stopping. */
  readonly signal: AbortSignal;
  readonly nowSeconds: number;
}

export interface Sink {
  readonly name: string;
  readonly kind: NotifySink['kind'];
  readonly events: readonly string[];
  deliver(payload: NotificationPayload, body: string, ctx: DeliveryContext): Promise<void>;
}

function readSecretFile(file: string, what: string, minBytes: number): Buffer {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new NotifyError(
      'NOTIFY_SINK_INVALID',
      `${file}: the ${what} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}); create it (0600)`,
    );
  }
  const raw = minBytes > 0 ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
  if (raw.length < Math.max(1, minBytes)) {
    throw new NotifyError(
      'NOTIFY_SINK_INVALID',
      `${file}: the ${what} must hold at least ${minBytes} bytes, base64-encoded (e.g. \`openssl rand -base64 32 > ${file}\`)`,
    );
  }
  return raw;
}

function abortFailure(signal: AbortSignal): DeliveryFailure {
  const why = signal.reason instanceof DeliveryFailure ? signal.reason : null;
  return why ?? new DeliveryFailure('aborted', 'the attempt was abandoned');
}

async function post(url: string, body: string, headers: Record<string, string>, signal: AbortSignal): Promise<void> {
  let res: Response;
  try {
    // SECURITY: no redirects: a signed body is for this URL only.
    res = await fetch(url, { method: 'POST', body, headers, signal, redirect: 'error' });
  } catch (err) {
    if (signal.aborted) throw abortFailure(signal);
    const cause = (err as { cause?: { code?: string } }).cause;
    throw new DeliveryFailure(
      `network_${cause?.code ?? 'error'}`,
      `the request failed: ${cause?.code ?? (err as Error).message}`,
    );
  }
  // The answer's body is not needed; dropping it frees the connection.
  await res.body?.cancel().catch(() => {});
  if (res.status < 200 || res.status > 299)
    throw new DeliveryFailure(`http_${res.status}`, `answered HTTP ${res.status}`);
}

function commandSink(s: Extract<NotifySink, { kind: 'command' }>): Sink {
  const [cmd, ...args] = s.argv as [string, ...string[]];
  return {
    name: s.name,
    kind: s.kind,
    events: s.events,
    deliver: (_payload, body, ctx) =>
      new Promise<void>((resolve, reject) => {
        // SECURITY: argv, no shell, and only PATH from the sidecar's environment: no secret leaks into it.
        const child = spawn(cmd, args, {
          shell: false,
          stdio: ['pipe', 'ignore', 'ignore'],
          env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
        });
        const onAbort = () => child.kill('SIGKILL');
        ctx.signal.addEventListener('abort', onAbort, { once: true });
        let spawnError: NodeJS.ErrnoException | null = null;
        child.once('error', (err: NodeJS.ErrnoException) => {
          spawnError = err;
        });
        child.stdin.on('error', () => {}); // a program that does not read its stdin is not a failure by itself
        child.stdin.end(body);
        child.once('close', (code, signal) => {
          ctx.signal.removeEventListener('abort', onAbort);
          if (spawnError) reject(new DeliveryFailure(`spawn_${spawnError.code ?? 'error'}`, `cannot run ${cmd}`));
          else if (ctx.signal.aborted) reject(abortFailure(ctx.signal));
          else if (code === 0) resolve();
          else reject(new DeliveryFailure(code !== null ? `exit_${code}` : `signal_${signal}`, `${cmd} failed`));
        });
      }),
  };
}

function webhookSink(s: Extract<NotifySink, { kind: 'webhook' }>): Sink {
  const secret = readSecretFile(s.secretFile, `webhook secret of sink ${s.name}`, 32);
  return {
    name: s.name,
    kind: s.kind,
    events: s.events,
    deliver: (_payload, body, ctx) =>
      post(
        s.url,
        body,
        {
          'content-type': 'application/json',
          [TIMESTAMP_HEADER]: String(ctx.nowSeconds),
          [SIGNATURE_HEADER]: signWebhookBody(secret, ctx.nowSeconds, body),
        },
        ctx.signal,
      ),
  };
}

function ntfySink(s: Extract<NotifySink, { kind: 'ntfy' }>): Sink {
  const token = s.tokenFile ? readSecretFile(s.tokenFile, `ntfy token of sink ${s.name}`, 0).toString('utf8') : null;
  return {
    name: s.name,
    kind: s.kind,
    events: s.events,
    deliver: (payload, _body, ctx) =>
      post(
        s.url,
        summaryLine(payload),
        {
          'content-type': 'text/plain; charset=utf-8',
          // Header values must be plain ASCII; everything that may not be goes in the body.
          title: 'mailwarden: approval needed',
          priority: 'high',
          tags: 'envelope',
          ...(payload.link ? { click: payload.link } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        ctx.signal,
      ),
  };
}

/** The sinks' secret files (webhook keys, ntfy tokens): checked for safe modes like every other key. */
export function sinkSecretFiles(sinks: readonly NotifySink[]): string[] {
  return sinks.flatMap((s) =>
    s.kind === 'webhook' ? [s.secretFile] : s.kind === 'ntfy' && s.tokenFile ? [s.tokenFile] : [],
  );
}

export function createSink(s: NotifySink): Sink {
  switch (s.kind) {
    case 'command':
      return commandSink(s);
    case 'webhook':
      return webhookSink(s);
    case 'ntfy':
      return ntfySink(s);
    default: {
      const never: never = s;
      throw new Error(`unknown sink ${JSON.stringify(never)}`);
    }
  }
}
