// One writer per log directory: a pid lock file, so a second sidecar cannot fork the chain.
import { open, readFile, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { EvidenceError } from './errors.ts';

export const LOCK_FILE = '.lock';
/** Directories this process holds; a lock file with our own pid but not in here is left from an earlier life. */
const heldHere = new Set<string>();

export async function lockEvidenceDir(dir: string): Promise<() => Promise<void>> {
  const key = resolve(dir);
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o600);
      try {
        await fh.writeFile(`${process.pid}\n`);
      } finally {
        await fh.close();
      }
      heldHere.add(key);
      return async () => {
        heldHere.delete(key);
        await unlink(path).catch(() => undefined);
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    const ownedElsewhere = pid !== process.pid && alive(pid);
    if (heldHere.has(key) || ownedElsewhere) {
      throw new EvidenceError(
        'EVIDENCE_UNAVAILABLE',
        `the evidence log in ${dir} is already open${heldHere.has(key) ? ' in this process' : ` by process ${pid}`}; ` +
          `stop that sidecar first (if no such process runs, remove ${path})`,
      );
    }
    // The holder died (e.g. kill -9): the lock is stale, and recovery will check what it left.
    await unlink(path).catch(() => undefined);
  }
  throw new EvidenceError('EVIDENCE_UNAVAILABLE', `could not lock ${path}; another process keeps taking it`);
}

function alive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
