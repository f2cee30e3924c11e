// The entry point's wiring: builds the real dependencies from a config and listens on both sockets.
import { createPrivateKey, randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createApprovalService, createReloadingKeyring, loadApproverKeyring } from '../approval/index.ts';
import { createAgentAuthenticator, createRateLimiter, createTokenService } from '../auth/index.ts';
import { type LoadedConfig, loadConfig } from '../config/index.ts';
import type { CheckpointSink } from '../evidence/index.ts';
import { createCommandSink, createDirectorySink, openEvidenceLog } from '../evidence/index.ts';
import { createGogExecutor } from '../exec/index.ts';
import { createAgentApp, createOperatorApp, listenOnSocket } from '../http/index.ts';
import type { Logger } from '../log/index.ts';
import { type CompiledPolicy, loadPolicy, policyDeniesAllSends } from '../policy/index.ts';
import { createProposalService } from '../proposals/index.ts';
import { CORE_MIGRATIONS, openStateDb } from '../state/index.ts';
import { buildPosture } from './posture.ts';

export interface SidecarHandle {
  readonly agentSocket: string;
  readonly operatorSocket: string;
  readonly policy: CompiledPolicy;
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly logger: Logger;
  readonly version: string;
  readonly now?: () => Date;
}

function readBase64Key(file: string, what: string): Buffer {
  const raw = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (raw.length < 32)
    throw new Error(
      `${file}: the ${what} must hold at least 32 bytes, base64-encoded; run \`mailwarden init\` to create one`,
    );
  return raw;
}

export async function startSidecar(loaded: LoadedConfig, opts: StartOptions): Promise<SidecarHandle> {
  const { config } = loaded;
  const log = opts.logger;
  const now = opts.now ?? (() => new Date());

  mkdirSync(config.paths.runtimeDir, { recursive: true, mode: 0o750 });
  mkdirSync(config.paths.stateDir, { recursive: true, mode: 0o700 });
  mkdirSync(config.paths.evidenceDir, { recursive: true, mode: 0o700 });

  const policy = loadPolicy(config.policy);
  const keyring = createReloadingKeyring(loadApproverKeyring(config.approvals.mode, config.approvals.approvers), {
    mtimeMs: () => {
      try {
        return statSync(loaded.file).mtimeMs;
      } catch {
        return null;
      }
    },
    reload: () => {
      const next = loadConfig(loaded.file).config.approvals;
      const ring = loadApproverKeyring(next.mode, next.approvers);
      log.info({ approvers: ring.approvers }, 'approver keys reloaded from the config');
      return ring;
    },
    onError: (err) => log.error({ err }, 'approver keys could not be reloaded; keeping the previous ones'),
  });
  if (keyring.approvers.length === 0)
    log.warn('no approvers are configured: every proposal that needs approval will expire');

  let sink: CheckpointSink | undefined;
  if (config.evidence.export?.dir) sink = createDirectorySink(config.evidence.export.dir);
  else if (config.evidence.export?.command) sink = createCommandSink(config.evidence.export.command);

  const evidence = await openEvidenceLog({
    dir: config.paths.evidenceDir,
    signingKey: createPrivateKey(readFileSync(config.evidence.signingKey)),
    blindingKey: readBase64Key(config.evidence.blindingKey, 'evidence blinding key'),
    origin: config.evidence.origin ?? `mailwarden/${hostname()}`,
    now,
    checkpointEvery: config.evidence.checkpoint,
    rotate: { maxBytes: config.evidence.rotate.maxBytes },
    ...(sink ? { sink } : {}),
    onEvent: (e) => log.info({ evidence: e }, 'evidence event'),
  });

  const dbFile = join(config.paths.stateDir, 'state.db');
  const db = openStateDb({ file: dbFile, migrations: CORE_MIGRATIONS });

  const executor = createGogExecutor({
    binary: config.gog.binary,
    home: config.gog.home,
    account: config.gog.account,
    timeoutMs: config.gog.timeoutMs,
    maxOutputBytes: config.gog.maxOutputBytes,
    noSend: policyDeniesAllSends(policy),
    wrapUntrusted: false,
  });

  let approvals: ReturnType<typeof createApprovalService> | null = null;
  const proposals = createProposalService({
    db,
    policy,
    executor,
    evidence,
    now,
    newId: () => randomUUID(),
    hooks: {
      verifyApprovals: (row, hash) => approvals!.verifyForExecution(row, hash),
    },
    onError: (err, context) => log.error({ err, context }, 'proposal pipeline error'),
  });
  approvals = createApprovalService({
    db,
    policy,
    proposals,
    keyring,
    evidence,
    now,
    skewSeconds: config.approvals.maxClockSkewSeconds,
  });

  const recovered = await proposals.recoverAfterCrash();
  if (recovered.length > 0)
    log.warn({ proposals: recovered }, 'proposals interrupted mid-execution are now outcome_unknown');
  await proposals.record({
    type: 'sidecar_started',
    data: {
      version: opts.version,
      policy: policy.policy.name,
      policyDigest: policy.digest,
      recovered: recovered.length,
    },
  });

  const tokenKeyFile = config.tokens.signingKey;
  const tokens = tokenKeyFile
    ? createTokenService({
        db,
        currentKey: readBase64Key(tokenKeyFile, 'token signing key'),
        ttlSeconds: config.tokens.ttlSeconds,
        now,
        ...(() => {
          try {
            return { previousKey: readBase64Key(`${tokenKeyFile}.previous`, 'previous token key') };
          } catch {
            return {};
          }
        })(),
      })
    : null;

  const httpLog = (level: 'warn' | 'error', msg: string, extra?: Record<string, unknown>) =>
    log[level](extra ?? {}, msg);
  const agentApp = createAgentApp({
    version: opts.version,
    proposals,
    policy,
    agents: createAgentAuthenticator(config.agents),
    tokens,
    requireTokens: config.tokens.requireTokens,
    rateLimiter: createRateLimiter(config.limits.requestsPerMinute),
    maxBodyBytes: config.limits.maxBodyBytes,
    maxWaitSeconds: config.limits.maxWaitSeconds,
    log: httpLog,
  });
  const agentSocket = join(config.paths.runtimeDir, 'agent.sock');
  const operatorSocket = join(config.paths.runtimeDir, 'operator.sock');
  const posture = () => buildPosture(loaded, { agentSocket, operatorSocket, policy });
  const operatorApp = createOperatorApp({
    proposals,
    decisions: approvals,
    posture,
    maxBodyBytes: config.limits.maxBodyBytes,
    log: httpLog,
  });

  chmodSync(config.paths.runtimeDir, 0o750);
  const agentListener = await listenOnSocket(agentApp, agentSocket, config.sockets.agentMode);
  const operatorListener = await listenOnSocket(operatorApp, operatorSocket, config.sockets.operatorMode);

  const sweeper = setInterval(() => {
    proposals.expireDue().catch((err: unknown) => log.error({ err }, 'expiry sweep failed'));
  }, 5000);
  sweeper.unref();

  let stopped = false;
  return {
    agentSocket,
    operatorSocket,
    policy,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(sweeper);
      await Promise.all([agentListener.close(), operatorListener.close()]);
      try {
        await proposals.record({ type: 'sidecar_stopped', data: {} });
      } catch (err) {
        log.error({ err }, 'could not record the stop in evidence');
      }
      await evidence.close();
      db.close();
    },
  };
}
