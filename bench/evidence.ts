// Runs the evidence append/verify benchmark script as a child and lifts its two target rows into the table.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../test/support/sidecar.ts';

export interface EvidenceBench {
  /** The script's own report, verbatim. */
  readonly output: string;
  readonly ok: boolean;
  /** Durable appends per second at the script's target row (64 concurrent callers), if it printed one. */
  readonly appendsPerSecond: number | null;
  readonly verifyPerSecond: number | null;
  /** Verify speed per CPU-second, when the script reports it (less sensitive to a busy machine). */
  readonly verifyPerCpuSecond: number | null;
}

const SCRIPT = join(REPO_ROOT, 'bench', 'evidence.bench.ts');

function rateOf(output: string, pattern: RegExp): number | null {
  const m = pattern.exec(output);
  return m ? Number(m[1]!.replaceAll(',', '')) : null;
}

export function benchEvidence(timeoutMs: number): Promise<EvidenceBench> {
  if (!existsSync(SCRIPT)) {
    return Promise.resolve({
      output: `${SCRIPT} is missing`,
      ok: false,
      appendsPerSecond: null,
      verifyPerSecond: null,
      verifyPerCpuSecond: null,
    });
  }
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const timer = setTimeout(() => {
      out += `\n(stopped after ${timeoutMs} ms)`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({
        output: out.trimEnd(),
        ok: code === 0,
        appendsPerSecond: rateOf(out, /^durable appends, 64 concurrent callers[^\d]*?\s([\d,]+)\s/m),
        verifyPerSecond: rateOf(out, /^verify records(?: \(wall clock\))?\s+([\d,]+)\s/m),
        verifyPerCpuSecond: rateOf(out, /^verify records \(per CPU-second\)\s+([\d,]+)\s/m),
      });
    });
  });
}
