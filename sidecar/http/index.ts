// HTTP: the agent and operator apps, error mapping, shared middleware.

export type { AgentAppDeps } from './agent-app.ts';
export { createAgentApp } from './agent-app.ts';
export type { AppEnv } from './common.ts';
export { errorBody, HttpError, toErrorResponse } from './errors.ts';
export type { OperatorAppDeps, OperatorDecisions } from './operator-app.ts';
export { createOperatorApp } from './operator-app.ts';
export type { SocketListener } from './socket.ts';
export { listenOnSocket } from './socket.ts';
