// Instructions per request from valgrind's callgrind for the in-process hot path: repeatable on a noisy
// machine where timings are not. Counters are dumped right before and right after the measured requests.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

export interface CallgrindResult {
  readonly instructionsPerRequest: number;
  readonly requests: number;
}

export function callgrindAvailable(): boolean {
  try {
    execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
    execFileSync('callgrind_control', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Bundles `<root>/bench/hot-path.ts` (dependencies external) so valgrind runs plain JS, not tsx. */
export async function bundleHotPath(root: string): Promise<string> {
  const out = join(root, '.cache', 'bench');
  mkdirSync(out, { recursive: true });
  const file = join(out, 'hot-path.mjs');
  await build({
    entryPoints: [join(root, 'bench', 'hot-path.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile: file,
    logLevel: 'silent',
  });
  return file;
}

export async function callgrindHotPath(
  bundle: string,
  args: { mode: 'bare' | 'governed'; config: string; agentKey: string; requests: number },
): Promise<CallgrindResult> {
  const dir = mkdtempSync(join(tmpdir(), 'mw-cg-'));
  const outFile = join(dir, 'cg.out');
  try {
    const child = spawn(
      'valgrind',
      [
        '--tool=callgrind',
        `--callgrind-out-file=${outFile}`,
        process.execPath,
        bundle,
        args.mode,
        args.config,
        String(args.requests),
        join(dir, 'bare.sock'),
      ],
      { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, MW_BENCH_AGENT_KEY: args.agentKey } },
    );
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-4000);
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      for (const mark of ['mark1', 'mark2']) {
        if (!buf.includes(mark)) continue;
        buf = buf.replace(mark, '');
        execFileSync('callgrind_control', ['-d', mark, String(child.pid)], { stdio: 'ignore' });
        child.stdin.write('go\n');
      }
    });
    const code = await exited;
    if (code !== 0) throw new Error(`callgrind run exited with ${code}: ${err}`);
    // Dumps are numbered in order: .1 at mark1 (start-up and warm-up), .2 at mark2 (the measured requests).
    const second = `${outFile}.2`;
    if (!existsSync(second)) throw new Error('callgrind wrote no dump for the measured requests');
    const m = /^summary:\s+(\d+)/m.exec(readFileSync(second, 'utf8'));
    if (!m) throw new Error('no summary line in the callgrind dump');
    return { instructionsPerRequest: Number(m[1]) / args.requests, requests: args.requests };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
