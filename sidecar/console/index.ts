// The operator console: a small web app on loopback that reviews proposals and carries browser-signed decisions.

export type { ConsoleAppDeps, EnrolmentCheck, OperatorCall } from './app.ts';
export { createConsoleApp } from './app.ts';
export type { ConsoleAsset, ConsoleAssets } from './assets.ts';
export { loadConsoleAssets } from './assets.ts';
export { CONTENT_SECURITY_POLICY, CSRF_HEADER, SESSION_COOKIE } from './guards.ts';
export type { MarkedRecipient, RecipientKind } from './recipients.ts';
export { markRecipients } from './recipients.ts';
export type { ConsoleHandle, ListenAddress } from './server.ts';
export { ConsoleError, isLoopback, parseListen, startConsole } from './server.ts';
export type { ConsoleSession, SessionStore, SessionStoreOptions } from './sessions.ts';
export { createSessionStore } from './sessions.ts';
