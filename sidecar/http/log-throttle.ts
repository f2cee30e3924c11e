// Log lines an unauthenticated client can provoke, aggregated: the first of a kind is written at once, the rest
// are counted and summed up in one line per window, so a flood cannot drive the sidecar's log I/O.

export interface ThrottledLog {
  /** Notes one event; writes at most one line per window (plus the first at once). */
  note(extra?: Record<string, unknown>): void;
  /** Writes the pending summary now (at stop). */
  flush(): void;
}

export function createThrottledLog(
  write: (msg: string, extra: Record<string, unknown>) => void,
  msg: string,
  windowMs = 10_000,
): ThrottledLog {
  let suppressed = 0;
  let last: Record<string, unknown> = {};
  let timer: NodeJS.Timeout | null = null;
  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (suppressed === 0) return;
    write(`${msg} (${suppressed} more in the last ${Math.round(windowMs / 1000)} s)`, { ...last, count: suppressed });
    suppressed = 0;
  };
  return {
    note(extra = {}) {
      if (timer === null) {
        write(msg, extra);
        timer = setTimeout(flush, windowMs);
        timer.unref();
        return;
      }
      suppressed++;
      last = extra;
    },
    flush,
  };
}
