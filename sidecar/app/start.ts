// The entry point's wiring: builds the real dependencies from a config and listens on both sockets.
import { createPrivateKey } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import type { ActionName, Posture } from '../../shared/index.ts';
import { createReloadingKeyring, loadApproverKeyring } from '../approval/index.ts';
import { createAgentAuthenticator, createRateLimiter, createTokenService } from '../auth/index.ts';
import { type LoadedConfig, loadConfig } from '../config/index.ts';
import { MailwardenError } from '../errors.ts';
import type { CheckpointSink } from '../evidence/index.ts';
import { createCommandSink, createDirectorySink, openEvidenceLog } from '../evidence/index.ts';
import type { GogConfig } from '../exec/index.ts';
import {
  checkGogVersion,
  compareBakedProfile,
  createGogExecutor,
  gogConfigPath,
  judgeGogVersion,
  probeGogSchema,
  SUPPORTED_GOG,
  syncGogConfig,
} from '../exec/index.ts';
import { GUARD_MIGRATIONS } from '../guard/index.ts';
import { createAgentApp, createOperatorApp, listenOnSocket } from '../http/index.ts';
import type { Logger } from '../log/index.ts';
import { buildPendingPayload, createNotifier, createSink, sinkSecretFiles } from '../notify/index.ts';
import { type CompiledPolicy, evaluatePolicy, loadPolicy, policyDeniesAllSends } from '../policy/index.ts';
import { checkStartupFileModes, formatStartupProblems } from '../posture/index.ts';
import {
  CORE_MIGRATIONS,
  checkStateIntegrity,
  openStateDb,
  QUICK_CHECK_AT_OPEN_MAX_BYTES,
  startWalCheckpointer,
} from '../state/index.ts';
import { createCore } from './core.ts';
import { resolveGroupId } from './group.ts';
import { buildPosture } from './posture.ts';
import { createGapRegistry, RECONCILE_MIGRATIONS, reconcileWithEvidence } from './reconcile.ts';

export interface SidecarHandle {
  readonly agentSocket: string;
  readonly operatorSocket: string;
  readonly policy: CompiledPolicy;
  posture(): Promise<Posture>;
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly logger: Logger;
  readonly version: string;
  readonly now?: () => Date;
}

/** A key that may be absent (e.g. the previous token key, kept only after a rotation); a bad one is an error. */
function readOptionalBase64Key(file: string, what: string): Buffer | null {
  if (!existsSync(file)) return null;
  return readBase64Key(file, what);
}

function readBase64Key(file: string, what: string): Buffer {
  const raw = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (raw.length < 32)
    throw new Error(
      `${file}: the ${what} must hold at least 32 bytes, base64-encoded; run \`mailwarden init\` to create one`,
    );
  return raw;
}

export class StartupError extends MailwardenError<
  | 'UNSAFE_FILE_MODES'
  | 'POLICY_EXCEEDS_BAKED_PROFILE'
  | 'GOG_CONFIG_INVALID'
  | 'GOG_NO_SEND_INACTIVE'
  | 'GOG_VERSION_UNSUPPORTED'
> {
  override readonly name = 'StartupError';
}

/**
 * The policy must not allow what the gog binary's baked profile blocks: such a setup would fail at the
 * worst moment. A profile that allows what policy denies is fine (policy is the stricter layer) but noted.
 */
async function checkBakedProfile(cfg: GogConfig, policy: CompiledPolicy, log: Logger): Promise<void> {
  // gog's schema names its build, the same release `gog --version` prints: one process run answers both
  // questions (a gog run costs about 100 ms of CPU on a slow machine, on the start-up's path). Only a gog whose
  // schema cannot be read or names no readable build is asked for its version as well.
  const probe = await probeGogSchema(cfg);
  const fromBuild = 'error' in probe || probe.build === null ? null : judgeGogVersion(probe.build);
  const version = fromBuild !== null && fromBuild.verdict !== 'unknown' ? fromBuild : await checkGogVersion(cfg);
  const supported = `supported: ${SUPPORTED_GOG.tested.join(', ')} (see docs/gog-backend.md)`;
  if (version.verdict === 'older') {
    throw new StartupError(
      'GOG_VERSION_UNSUPPORTED',
      `${cfg.binary} is gog ${version.version}, older than mailwarden supports (${supported}). Install a supported gog (scripts/install-gog.sh builds the pinned one) and point gog.binary at it.`,
    );
  }
  if (version.verdict !== 'supported')
    log.warn(
      { gog: cfg.binary, version: version.version, detail: version.detail },
      `gog version not tested; ${supported}`,
    );
  if ('error' in probe) {
    log.warn({ problem: probe.error }, "could not read the gog binary's baked safety profile");
    return;
  }
  // SECURITY: the no-send layer counts only if gog itself says it is on; a config gog never reads protects nothing.
  if (policyDeniesAllSends(policy) && probe.gmailNoSend === false) {
    const file = gogConfigPath(cfg.home);
    throw new StartupError(
      'GOG_NO_SEND_INACTIVE',
      `the policy never sends, but \`gog schema\` (automation.safety.gmail_no_send) says gog's no-send is off although ${file} sets gmail_no_send: true. gog is reading its config from somewhere else: run gog with --home ${cfg.home} (gog.home in the mailwarden config) and no other config directory, or use a baked agent-safe gog build.`,
    );
  }
  const { bakedProfile } = probe;
  if (!bakedProfile.enabled || !bakedProfile.name) {
    log.info('the gog binary has no baked safety profile; policy alone decides what gog may do');
    return;
  }
  const effectOf = (action: ActionName) => {
    const outcome = evaluatePolicy(policy, { action, principal: '*', lockdown: { global: null, principal: null } });
    return outcome.ok ? outcome.decision.effect : 'deny';
  };
  const { errors, warnings } = compareBakedProfile(bakedProfile.name, effectOf);
  for (const w of warnings) log.warn({ bakedProfile: bakedProfile.name }, w);
  if (errors.length > 0) {
    throw new StartupError(
      'POLICY_EXCEEDS_BAKED_PROFILE',
      `policy ${policy.file} allows actions the gog binary's baked profile "${bakedProfile.name}" blocks:\n  ${errors.join('\n  ')}\nDeny them in the policy or use a gog build whose profile allows them.`,
    );
  }
}

/** Keeps gog's own config-level no-send in step with a policy that denies every send. */
function applyGogNoSend(gogHome: string, policy: CompiledPolicy, log: Logger): void {
  const file = gogConfigPath(gogHome);
  let current: string | null = null;
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    current = null;
  }
  const stale = join(gogHome, 'config.json');
  if (existsSync(stale))
    log.warn(
      { file: stale, gogReads: file },
      `gog never reads ${stale}; its config lives in ${file}. Move the settings there and remove the old file`,
    );
  const { text, result } = syncGogConfig(current, policyDeniesAllSends(policy));
  if ('error' in result) throw new StartupError('GOG_CONFIG_INVALID', `${file}: ${result.error}`);
  if (result.warning) log.warn({ file }, result.warning);
  if (text !== null) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(`${file}.tmp`, text, { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
    log.info({ file }, "gog's config-level no-send switched on: the policy denies every send");
  }
}

export async function startSidecar(loaded: LoadedConfig, opts: StartOptions): Promise<SidecarHandle> {
  const { config } = loaded;
  const log = opts.logger;
  const now = opts.now ?? (() => new Date());

  mkdirSync(config.paths.runtimeDir, { recursive: true, mode: 0o750 });
  mkdirSync(config.paths.stateDir, { recursive: true, mode: 0o700 });
  mkdirSync(config.paths.evidenceDir, { recursive: true, mode: 0o700 });

  // SECURITY: refuse to start on keys or folders others could read or change; say which and how to fix.
  const modes = checkStartupFileModes({
    keys: [
      config.evidence.signingKey,
      config.evidence.blindingKey,
      ...(config.tokens.signingKey ? [config.tokens.signingKey] : []),
      ...(config.tokens.signingKey && existsSync(`${config.tokens.signingKey}.previous`)
        ? [`${config.tokens.signingKey}.previous`]
        : []),
      ...(config.gog.keyringPasswordFile ? [config.gog.keyringPasswordFile] : []),
      ...config.approvals.approvers.flatMap((a) => (a.secret ? [a.secret] : [])),
      ...sinkSecretFiles(config.notify.sinks),
    ],
    dirs: [config.paths.stateDir, config.paths.evidenceDir, config.gog.home],
    files: [loaded.file, config.policy],
  });
  if (!modes.ok) throw new StartupError('UNSAFE_FILE_MODES', formatStartupProblems(modes.problems));

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

  const gogConfig = {
    binary: config.gog.binary,
    home: config.gog.home,
    account: config.gog.account,
    timeoutMs: config.gog.timeoutMs,
    maxOutputBytes: config.gog.maxOutputBytes,
    noSend: policyDeniesAllSends(policy),
    wrapUntrusted: false,
    ...(config.gog.keyringPasswordFile ? { keyringPasswordFile: config.gog.keyringPasswordFile } : {}),
    calendarSendUpdates: policy.policy.calendar.writes.sendUpdates,
  };
  applyGogNoSend(config.gog.home, policy, log);
  // gog is asked about itself while evidence and state open (one process run; a fake gog is a Node script).
  // Its verdict is awaited before anything is reconciled, resumed or listened for, as if asked right there.
  const gogChecked = checkBakedProfile(gogConfig, policy, log);
  gogChecked.catch(() => undefined); // awaited below; a refusal must not surface as an unhandled rejection first

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
  // A large state's integrity check reads the whole file: it runs beside the sidecar instead of delaying its start.
  const checkLater = existsSync(dbFile) && statSync(dbFile).size > QUICK_CHECK_AT_OPEN_MAX_BYTES;
  const db = openStateDb({
    file: dbFile,
    migrations: [...CORE_MIGRATIONS, ...GUARD_MIGRATIONS, ...RECONCILE_MIGRATIONS],
    quickCheck: !checkLater,
  });

  await gogChecked;
  const executor = createGogExecutor(gogConfig);

  // Sinks are built (and their secret files read) before anything runs, so a broken sink stops start-up.
  const notifier = createNotifier({
    sinks: config.notify.sinks.map(createSink),
    attempts: config.notify.attempts,
    backoffMs: config.notify.backoffMs,
    timeoutMs: config.notify.timeoutMs,
    record: (event) => evidence.append(event),
    now,
    onError: (err, context) => log.warn({ err, context }, 'notification problem'),
  });

  const { proposals, approvals, lockdown } = createCore({
    db,
    policy,
    executor,
    evidence,
    keyring,
    now,
    skewSeconds: config.approvals.maxClockSkewSeconds,
    owner: config.gog.account,
    pending: (stored, decision, expiresAt) =>
      notifier.notify(
        buildPendingPayload(
          {
            proposalId: stored.id,
            action: stored.action,
            principal: stored.principal,
            params: stored.params,
            rules: decision.rules,
            expiresAt,
          },
          { consoleUrl: config.notify.consoleUrl, includeSubject: config.notify.includeSubject },
        ),
      ),
    onError: (err, context) => log.error({ err, context }, 'proposal pipeline error'),
  });

  // State is held against evidence before anything can run: a restored backup or a reset row never sends twice.
  const reconciled = await reconcileWithEvidence({
    db,
    proposals,
    evidence,
    evidenceDir: config.paths.evidenceDir,
    now,
  });
  if (reconciled.settled.length > 0)
    log.warn({ proposals: reconciled.settled }, 'evidence shows these had started executing: now outcome_unknown');
  if (reconciled.gaps.length > 0)
    log.error(
      { proposals: reconciled.gaps },
      'EVIDENCE GAP: state holds proposals the evidence log has no record of; see mailwarden posture',
    );
  const gaps = createGapRegistry({
    db,
    keyring,
    evidence,
    now,
    skewSeconds: config.approvals.maxClockSkewSeconds,
  });
  const recovered = await proposals.recoverAfterCrash();
  if (recovered.length > 0)
    log.warn({ proposals: recovered }, 'proposals interrupted mid-execution are now outcome_unknown');
  const resumed = await proposals.resumeApproved();
  if (resumed.length > 0) log.info({ proposals: resumed }, 'approved proposals that had not started were executed');
  // Fails the start when it cannot be written: a sidecar that cannot evidence must not serve.
  await evidence.append({
    type: 'sidecar_started',
    data: {
      version: opts.version,
      policy: policy.policy.name,
      policyDigest: policy.digest,
      recovered: recovered.length,
    },
  });

  const tokenKeyFile = config.tokens.signingKey;
  const previousTokenKey = tokenKeyFile
    ? readOptionalBase64Key(`${tokenKeyFile}.previous`, 'previous token key')
    : null;
  const tokens = tokenKeyFile
    ? createTokenService({
        db,
        currentKey: readBase64Key(tokenKeyFile, 'token signing key'),
        ttlSeconds: config.tokens.ttlSeconds,
        now,
        ...(previousTokenKey ? { previousKey: previousTokenKey } : {}),
      })
    : null;

  const httpLog = (level: 'warn' | 'error', msg: string, extra?: Record<string, unknown>) =>
    log[level](extra ?? {}, msg);
  const agentApp = createAgentApp({
    version: opts.version,
    proposals,
    lockdown,
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
  // The log was verified when it was opened (the sidecar refuses to start on a tampered log).
  const posture = () =>
    buildPosture(loaded, {
      agentSocket,
      operatorSocket,
      policy,
      evidenceVerdict: async () => 'intact',
      notifySinks: () => notifier.health(),
      evidenceGaps: () => gaps.open(),
    });
  const operatorApp = createOperatorApp({
    proposals,
    lockdown,
    decisions: approvals,
    gaps,
    posture,
    maxBodyBytes: config.limits.maxBodyBytes,
    log: httpLog,
  });

  // WAL checkpoints (and their fsyncs) run in a worker, never inside a request's commit. Started once nothing
  // before the sockets can refuse the start any more: a refused start must not leave a worker keeping it alive.
  // Its thread boots while the sockets are set up; the start waits for both.
  const checkpointerStarting = startWalCheckpointer(db, dbFile, {
    onError: (error) => log.warn({ error }, 'state database checkpoint failed; retrying in the background'),
  });
  checkpointerStarting.catch(() => undefined); // awaited below, also when listening fails first
  let checkpointer: Awaited<typeof checkpointerStarting>;
  let agentListener: Awaited<ReturnType<typeof listenOnSocket>> | null = null;
  let operatorListener: Awaited<ReturnType<typeof listenOnSocket>> | null = null;
  try {
    chmodSync(config.paths.runtimeDir, 0o750);
    const agentGid = config.sockets.agentGroup !== undefined ? resolveGroupId(config.sockets.agentGroup) : undefined;
    agentListener = await listenOnSocket(agentApp, agentSocket, config.sockets.agentMode, agentGid);
    operatorListener = await listenOnSocket(operatorApp, operatorSocket, config.sockets.operatorMode);
    checkpointer = await checkpointerStarting;
  } catch (err) {
    // Nothing may stay half-open: a listening agent socket would keep the process alive and accept proposals.
    await agentListener?.close();
    await operatorListener?.close();
    await notifier.close();
    await evidence.close();
    await checkpointerStarting.then(
      (c) => c.stop(),
      () => undefined,
    );
    db.close();
    throw err;
  }
  const listening = operatorListener;

  if (checkLater) {
    // Once the sockets listen: at start it would compete with the start for the disk and the CPU.
    checkStateIntegrity(dbFile).then(
      (r) => {
        if (r !== 'ok') {
          log.error(
            { file: dbFile, problem: r },
            'STATE CORRUPT: the state database failed its integrity check; stop mailwarden and restore it',
          );
        }
      },
      (err: unknown) => log.warn({ err, file: dbFile }, 'the background integrity check of the state database failed'),
    );
  }

  const sweeper = setInterval(() => {
    proposals.expireDue().catch((err: unknown) => log.error({ err }, 'expiry sweep failed'));
  }, 5000);
  sweeper.unref();

  let stopped = false;
  return {
    agentSocket,
    operatorSocket,
    policy,
    posture,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(sweeper);
      await Promise.all([agentListener?.close(), listening.close()]);
      await notifier.close();
      try {
        await evidence.append({ type: 'sidecar_stopped', data: {} });
      } catch (err) {
        log.error({ err }, 'could not record the stop in evidence');
      }
      await evidence.close();
      await checkpointer.stop();
      db.close();
    },
  };
}
