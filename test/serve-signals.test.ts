// `mailwarden serve` and signals: a SIGTERM that arrives right after the ready line still stops the sidecar
// cleanly (sidecar_stopped in evidence, a final signed checkpoint, no socket files left behind).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readEvidence } from './support/evidence.ts';
import { BIN, initSetup, removeSetup } from './support/sidecar.ts';

const setups: { dir: string }[] = [];
afterEach(() => {
  for (const s of setups.splice(0)) removeSetup(s);
});

/** Starts serve and sends `signal` in the same tick its ready line arrives; resolves with the exit. */
function serveAndSignalAtReady(config: string, signal: NodeJS.Signals) {
  const child = spawn(process.execPath, [BIN, 'serve', '--config', config, '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  let ready = false;
  child.stdout.on('data', (d: Buffer) => {
    if (!ready && d.toString().includes('\n')) {
      ready = true;
      child.kill(signal);
    }
  });
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; ready: boolean; stderr: string }>(
    (resolve) => child.once('exit', (code, sig) => resolve({ code, signal: sig, ready, stderr })),
  );
}

describe('serve and signals', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s right after the ready line stops cleanly', async (signal) => {
    const { dir, init } = await initSetup('draft_assist');
    setups.push({ dir });
    const exit = await serveAndSignalAtReady(init.config, signal);
    expect(exit.ready).toBe(true);
    expect(exit, exit.stderr).toMatchObject({ code: 0, signal: null });
    expect(existsSync(init.agentSocket)).toBe(false);
    expect(existsSync(init.operatorSocket)).toBe(false);
    const evidenceDir = join(dir, 'evidence');
    const records = readEvidence(evidenceDir);
    expect(records.at(-1)?.type).toBe('sidecar_stopped');
    const sizes = readdirSync(join(evidenceDir, 'checkpoints'))
      .map((f) => /^checkpoint-(\d{16})\.note$/.exec(f)?.[1])
      .filter((x): x is string => x !== undefined)
      .map(Number);
    expect(Math.max(...sizes)).toBe(records.length);
  });
});
