// The guard: content filters, read bounds, outbound checks, exfiltration guard and send caps on proposals.

export type { Guard, GuardDeps } from './guard.ts';
export { createGuard } from './guard.ts';
export { GUARD_MIGRATIONS } from './migrations.ts';
export { createTaintStore } from './taint-store.ts';
