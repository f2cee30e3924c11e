// Agent authentication: keys, minted tokens, request rate.

export type { AgentAuthenticator, AgentKeyEntry } from './agent-keys.ts';
export { createAgentAuthenticator, generateAgentKey, hashAgentKey } from './agent-keys.ts';
export type { RateLimiter } from './rate-limit.ts';
export { createRateLimiter } from './rate-limit.ts';
export type { TokenService, TokenServiceOptions } from './tokens.ts';
export { createTokenService, looksLikeToken } from './tokens.ts';
