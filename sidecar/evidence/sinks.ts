// Checkpoint export sinks: a directory the operator owns, or a command that receives each checkpoint on stdin.
import { spawn } from 'node:child_process';
import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EvidenceError } from './errors.ts';
import { checkpointName } from './layout.ts';
import type { CheckpointSink, ExportedCheckpoint } from './types.ts';

/**
 * Writes each checkpoint as its own 0600 file, one directory per log. An existing file is never
 * overwritten: the same checkpoint again (e.g. after a restart) is fine, a different one is an error.
 */
export function createDirectorySink(dir: string): CheckpointSink {
  return {
    name: `dir:${dir}`,
    async put(c: ExportedCheckpoint) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const path = join(dir, checkpointName(c.size));
      const fh = await open(path, 'wx', 0o600).catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
        if ((await readFile(path, 'utf8')) === c.text) return null;
        // SECURITY: two signed trees of one size mean a rewritten log, or two logs sharing a directory.
        throw new EvidenceError(
          'EVIDENCE_SINK_FAILED',
          `${path} already holds a different checkpoint of size ${c.size}: either this log was rewritten ` +
            'or another log exports to the same directory (give each log its own)',
        );
      });
      if (!fh) return;
      try {
        await fh.writeFile(c.text);
        await fh.sync();
      } finally {
        await fh.close();
      }
    },
  };
}

/**
 * Runs argv (no shell) for each checkpoint, the signed note on stdin; a non-zero exit or a 30 s timeout
 * is a failed export. The command inherits only PATH, so no secret of the sidecar leaks into it.
 */
export function createCommandSink(argv: readonly string[], timeoutMs = 30_000): CheckpointSink {
  const [cmd, ...args] = argv;
  if (!cmd) throw new EvidenceError('EVIDENCE_SINK_FAILED', 'the checkpoint command needs at least a program');
  return {
    name: `command:${cmd}`,
    put(c: ExportedCheckpoint) {
      return new Promise<void>((resolve, reject) => {
        const child = spawn(cmd, args, {
          shell: false,
          stdio: ['pipe', 'ignore', 'pipe'],
          env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
          timeout: timeoutMs,
        });
        let stderr = '';
        child.stderr.setEncoding('utf8');
        child.stderr.on('data', (d: string) => {
          if (stderr.length < 2000) stderr += d;
        });
        child.on('error', (err) =>
          reject(
            new EvidenceError('EVIDENCE_SINK_FAILED', `checkpoint command ${cmd} failed to start`, { cause: err }),
          ),
        );
        child.on('close', (code, signal) => {
          if (code === 0) resolve();
          else {
            const why = signal ? `was killed by ${signal}` : `exited with ${code}`;
            reject(new EvidenceError('EVIDENCE_SINK_FAILED', `checkpoint command ${cmd} ${why}: ${stderr.trim()}`));
          }
        });
        child.stdin.on('error', () => undefined); // a command that ignores stdin is judged by its exit code
        child.stdin.end(c.text);
      });
    },
  };
}
