// Reads one draft as gog holds it (`gog gmail drafts get`): recipients, subject, text body and attachments.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { codeForExit, gogErrorLine, messageFor } from './exit-codes.ts';
import { GogApiMessageSchema } from './gog-schemas.ts';
import { messageFromApi } from './normalise.ts';
import { globalFlags } from './plan.ts';
import { runProcess } from './run-process.ts';
import type { DraftRead, GogConfig, GogErrorCode } from './types.ts';

const DraftGetSchema = z.object({ draft: z.object({ id: z.string(), message: GogApiMessageSchema }) });

/**
 * The draft's real content from gog (never from the proposal that names it). Runs
 * `gog --json --no-input --account A --home H gmail drafts get -- DRAFT_ID` once; a read, so it changes nothing.
 */
export async function readGogDraft(cfg: GogConfig, draftId: string, signal?: AbortSignal): Promise<DraftRead> {
  const action = 'gmail.drafts.update';
  const ctx = { cfg, action, exitCode: null, line: '', attempts: 1, mutating: false };
  let keyringPassword: string | undefined;
  if (cfg.keyringPasswordFile !== undefined) {
    try {
      keyringPassword = (await readFile(cfg.keyringPasswordFile, 'utf8')).replace(/\r?\n$/, '');
    } catch (e) {
      const line = `cannot read the keyring password file ${cfg.keyringPasswordFile} (${(e as NodeJS.ErrnoException).code ?? 'unreadable'})`;
      return { ok: false, code: 'GOG_CONFIG', message: messageFor('GOG_CONFIG', { ...ctx, line }) };
    }
  }
  // The read carries no send or force flag: only the account, home and output flags.
  const flags = globalFlags('gmail.drafts.list', { ...cfg, noSend: false, wrapUntrusted: false });
  const argv = [...flags, 'gmail', 'drafts', 'get', '--', draftId];
  const res = await runProcess(cfg, argv, undefined, signal, keyringPassword);
  const line = gogErrorLine(res.stderr.toString('utf8'));
  const fail = (code: GogErrorCode, extra: { exitCode?: number | null; detail?: string } = {}): DraftRead => ({
    ok: false,
    code,
    message: `reading draft ${draftId}: ${messageFor(code, { ...ctx, line, ...extra })}`,
  });
  if (res.kind === 'spawn_error') return fail('GOG_MISSING_BINARY', { detail: res.spawnErrorCode ?? 'spawn failed' });
  if (res.kind === 'timeout') return fail('GOG_TIMEOUT');
  if (res.kind === 'too_large') return fail('GOG_OUTPUT_TOO_LARGE');
  if (res.kind === 'aborted') return fail('GOG_CANCELLED');
  if (res.exitCode !== 0) {
    if (res.exitCode === null) return fail('GOG_FAILED');
    return fail(codeForExit(res.exitCode, line), { exitCode: res.exitCode });
  }
  let parsed: z.infer<typeof DraftGetSchema>;
  try {
    parsed = DraftGetSchema.parse(JSON.parse(res.stdout.toString('utf8')));
  } catch {
    return fail('GOG_BAD_OUTPUT', { detail: 'gmail drafts get: not a draft with a message' });
  }
  return { ok: true, draft: { ...messageFromApi(parsed.draft.message), draftId: parsed.draft.id } };
}
