// gog is spawned off the main thread: the main thread's child_process.spawn is never called, and what the
// caller gets back is unchanged (exit code, output, timeout kill, abort, a missing binary).

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcess } from '../sidecar/exec/run-process.ts';
import type { GogConfig } from '../sidecar/exec/types.ts';

const cp = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
const realSpawn = cp.spawn;
let mainThreadSpawns = 0;
let dir: string;
let cfg: GogConfig;

beforeAll(async () => {
  cp.spawn = ((...args: Parameters<typeof realSpawn>) => {
    mainThreadSpawns++;
    return realSpawn(...args);
  }) as typeof realSpawn;
  syncBuiltinESMExports();
  dir = await mkdtemp(join(tmpdir(), 'mw-spawn-'));
  const script = join(dir, 'tool');
  await writeFile(
    script,
    `#!/bin/sh\ncase "$1" in\n  echo) cat; echo " $2" ;;\n  sleep) sleep 30 ;;\n  fail) echo oops >&2; exit 3 ;;\nesac\n`,
    { mode: 0o755 },
  );
  cfg = {
    binary: script,
    home: dir,
    account: 'owner@example.com',
    timeoutMs: 1500,
    maxOutputBytes: 1_000_000,
    noSend: false,
    wrapUntrusted: false,
  };
});
afterAll(async () => {
  cp.spawn = realSpawn;
  syncBuiltinESMExports();
  await rm(dir, { recursive: true, force: true });
});

describe('gog spawned from a worker thread', () => {
  it('runs the process with stdin and returns its output, without spawning on the main thread', async () => {
    const r = await runProcess(cfg, ['echo', 'world'], 'hello');
    expect(r).toMatchObject({ kind: 'exited', exitCode: 0 });
    expect(r.stdout.toString()).toBe('hello world\n');
    const f = await runProcess(cfg, ['fail'], undefined);
    expect(f).toMatchObject({ kind: 'exited', exitCode: 3 });
    expect(f.stderr.toString()).toBe('oops\n');
    expect(mainThreadSpawns).toBe(0);
  });

  it('kills a process that runs past the timeout, and one whose call is aborted', async () => {
    const t = await runProcess(cfg, ['sleep'], undefined);
    expect(t.kind).toBe('timeout');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const a = await runProcess({ ...cfg, timeoutMs: 20_000 }, ['sleep'], undefined, ac.signal);
    expect(a.kind).toBe('aborted');
    expect(mainThreadSpawns).toBe(0);
  });

  it('reports a missing binary as a spawn error', async () => {
    const r = await runProcess({ ...cfg, binary: join(dir, 'missing') }, [], undefined);
    expect(r).toMatchObject({ kind: 'spawn_error', spawnErrorCode: 'ENOENT' });
  });
});
