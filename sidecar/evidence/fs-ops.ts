// The file-system edge of the writer, injectable so tests can count fsyncs and make writes fail.
import * as fs from 'node:fs';
import { promisify } from 'node:util';

export interface EvidenceFsOps {
  open(path: string, flags: 'a' | 'w' | 'wx' | 'r+', mode: number): Promise<number>;
  /** Writes all of `data` (at the end for files opened with 'a'). */
  write(fd: number, data: Uint8Array): Promise<void>;
  /** Writes all of `data` at `position` (for files opened with 'r+'). */
  pwrite(fd: number, data: Uint8Array, position: number): Promise<void>;
  /** Makes written data and the file size durable. */
  fsync(fd: number): Promise<void>;
  ftruncate(fd: number, length: number): Promise<void>;
  close(fd: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Makes a directory's entries (created, renamed, removed files) durable. */
  syncDir(path: string): Promise<void>;
}

const open = promisify(fs.open);
const write = (fd: number, b: Uint8Array, off: number, len: number, pos: number | null = null) =>
  new Promise<number>((resolve, reject) =>
    fs.write(fd, b, off, len, pos, (err, written) => (err ? reject(err) : resolve(written))),
  );
const fdatasync = promisify(fs.fdatasync);
const ftruncate = promisify(fs.ftruncate);
const close = promisify(fs.close);

export function nodeFsOps(): EvidenceFsOps {
  return {
    open: (path, flags, mode) => open(path, flags, mode),
    async write(fd, data) {
      let off = 0;
      while (off < data.length) off += await write(fd, data, off, data.length - off);
    },
    async pwrite(fd, data, position) {
      let off = 0;
      while (off < data.length) off += await write(fd, data, off, data.length - off, position + off);
    },
    // fdatasync also flushes the file size, which is all an appended log needs.
    fsync: (fd) => fdatasync(fd),
    ftruncate: (fd, length) => ftruncate(fd, length),
    close: (fd) => close(fd),
    rename: (from, to) => fs.promises.rename(from, to),
    unlink: (path) => fs.promises.unlink(path),
    async syncDir(path) {
      const fd = await open(path, 'r');
      try {
        await promisify(fs.fsync)(fd);
      } finally {
        await close(fd);
      }
    },
  };
}
