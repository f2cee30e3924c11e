// Wiring of the running sidecar.

export type { Core, CoreDeps } from './core.ts';
export { createCore } from './core.ts';

export type { PostureContext } from './posture.ts';
export { buildPosture } from './posture.ts';
export type { SidecarHandle, StartOptions } from './start.ts';
export { startSidecar } from './start.ts';
