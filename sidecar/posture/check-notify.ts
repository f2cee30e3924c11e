// Whether the owner hears about pending approvals: configured notification sinks and how their deliveries went.
import type { RatedCheck } from './rated-check.ts';
import type { PostureInput } from './types.ts';

/** Only the running sidecar knows how deliveries went; elsewhere (notify absent) there is nothing to check. */
export function notifySinksCheck(notify: NonNullable<PostureInput['notify']>): RatedCheck {
  const id = 'notify.sinks';
  if (notify.sinks.length === 0) {
    return {
      id,
      required: false,
      status: 'warn',
      summary: 'no notification sinks: a proposal that needs approval waits silently until someone looks',
      fix: 'add notify.sinks (command, webhook or ntfy) to the config; see docs/configuration.md',
    };
  }
  const failing = notify.sinks.filter((s) => s.failingInARow > 0);
  if (failing.length > 0) {
    const list = failing
      .map(
        (s) => `${s.name} (${s.kind}): ${s.failingInARow} notification(s) undelivered in a row, last ${s.lastFailure}`,
      )
      .join('; ');
    return {
      id,
      required: false,
      status: 'warn',
      summary: `notification sink failing: ${list}`,
      fix: 'check the sink (URL reachable, secret or token right, command exits 0); every attempt is in evidence as notification_attempt',
    };
  }
  const delivered = notify.sinks.reduce((n, s) => n + s.delivered, 0);
  return {
    id,
    required: false,
    status: 'pass',
    summary: `${notify.sinks.length} notification sink(s): ${notify.sinks.map((s) => s.name).join(', ')}; ${delivered} delivered since start`,
  };
}
