// Whole-file writes that are either fully there after a crash or not at all (temp file, fsync, rename, dir fsync).
import { basename, dirname, join } from 'node:path';
import type { EvidenceFsOps } from './fs-ops.ts';
import { TMP_PREFIX } from './layout.ts';

export async function writeFileDurably(fs: EvidenceFsOps, path: string, content: string | Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `${TMP_PREFIX}${process.pid}-${basename(path)}`);
  const fd = await fs.open(tmp, 'w', 0o600);
  try {
    await fs.write(fd, typeof content === 'string' ? Buffer.from(content) : content);
    await fs.fsync(fd);
  } finally {
    await fs.close(fd);
  }
  await fs.rename(tmp, path);
  await fs.syncDir(dirname(path));
}
