// Lockdown: what is locked, automatic lockdown after repeated denials, signed lockdown statements.

export { createLockdown, type Lockdown, type LockdownDeps } from './lockdown.ts';
export { createLockdownStore, type LockdownStore } from './store.ts';
