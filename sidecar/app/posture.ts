// Gathers what posture needs from the running configuration and asks the posture domain to observe it.
import type { Posture } from '../../shared/index.ts';
import type { LoadedConfig } from '../config/index.ts';
import { type SinkHealth, sinkSecretFiles } from '../notify/index.ts';
import { type CompiledPolicy, policyDeniesAllSends } from '../policy/index.ts';
import { createRealProbes, runPosture } from '../posture/index.ts';

export interface PostureContext {
  readonly agentSocket: string;
  readonly operatorSocket: string;
  readonly policy: CompiledPolicy;
  readonly evidenceVerdict?: () => Promise<'intact' | 'tampered' | 'cannot_verify' | 'unknown'>;
  /** How the notification sinks have been doing (only the running sidecar knows). */
  readonly notifySinks?: () => readonly SinkHealth[];
  /** Open evidence gaps (state rows evidence had no record of), until an operator acknowledges them. */
  readonly evidenceGaps?: () => readonly { id: number; proposals: readonly string[] }[];
}

export async function buildPosture(loaded: LoadedConfig, ctx: PostureContext): Promise<Posture> {
  const { config } = loaded;
  const keys = [
    config.evidence.signingKey,
    config.evidence.blindingKey,
    ...(config.tokens.signingKey ? [config.tokens.signingKey] : []),
    ...config.approvals.approvers.flatMap((a) => (a.secret ? [a.secret] : [])),
    ...sinkSecretFiles(config.notify.sinks),
  ];
  return runPosture(
    {
      sidecar: { uid: process.getuid?.() ?? -1, gid: process.getgid?.() ?? -1 },
      agent: {
        ...(config.agent.user ? { user: config.agent.user } : {}),
        ...(config.agent.group ? { group: config.agent.group } : {}),
      },
      paths: {
        config: loaded.file,
        policy: config.policy,
        stateDir: config.paths.stateDir,
        evidenceDir: config.paths.evidenceDir,
        gogHome: config.gog.home,
        keys,
        agentSocket: ctx.agentSocket,
        operatorSocket: ctx.operatorSocket,
        ...(config.evidence.export?.dir ? { checkpointExportDir: config.evidence.export.dir } : {}),
      },
      approvalMode: config.approvals.mode,
      evidence: {
        verdict: ctx.evidenceVerdict ? await ctx.evidenceVerdict() : 'unknown',
        checkpointsExported: config.evidence.export !== undefined,
        ...(ctx.evidenceGaps ? { gaps: ctx.evidenceGaps() } : {}),
      },
      gog: { backend: config.gog.backend, binary: config.gog.binary, account: config.gog.account },
      policyDeniesSend: policyDeniesAllSends(ctx.policy),
      ...(config.agent.bypassAttestation
        ? { bypassAttestation: { evidenceRef: config.agent.bypassAttestation.evidenceRef } }
        : {}),
      ...(ctx.notifySinks ? { notify: { sinks: ctx.notifySinks().map((s) => ({ ...s })) } } : {}),
    },
    createRealProbes({
      gog: { binary: config.gog.binary, home: config.gog.home, account: config.gog.account },
    }),
  );
}
