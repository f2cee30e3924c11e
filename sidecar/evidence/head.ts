// The acknowledged head: how many records were ever acknowledged, kept outside the segments so that a log cut
// back exactly at a record boundary (which leaves no torn line) is still noticed at the next start.
import { hash } from 'node:crypto';
import { join } from 'node:path';
import { writeFileDurably } from './durable.ts';
import type { EvidenceFsOps } from './fs-ops.ts';
import type { EvidenceReader } from './layout.ts';

export const HEAD_FILE = 'head';
const MAGIC = 'mailwarden/evidence/head/v1';
/**
 * Two fixed slots written in turn: a write torn by a power loss can only spoil the slot being written, and the
 * other one still holds the previous head (whose records were all acknowledged).
 */
const SLOT = 160;

export interface AckHead {
  /** Records acknowledged so far: every seq below this was durable before its append resolved. */
  readonly size: number;
  /** Hash of record `size - 1` (the genesis `prev` for an empty log). */
  readonly lastHash: string;
}

function slotText(head: AckHead, gen: number): Buffer {
  const body = `${MAGIC} ${gen} ${head.size} ${head.lastHash}`;
  const sum = hash('sha256', body, 'hex').slice(0, 16);
  const out = Buffer.alloc(SLOT, 0x20);
  out.write(`${body} ${sum}\n`);
  out[SLOT - 1] = 0x0a;
  return out;
}

function parseSlot(bytes: Buffer): (AckHead & { gen: number }) | null {
  const m = /^mailwarden\/evidence\/head\/v1 (\d{1,16}) (\d{1,16}) ([0-9a-f]{64}) ([0-9a-f]{16})\n/.exec(
    bytes.toString('latin1'),
  );
  if (!m) return null;
  const body = `${MAGIC} ${m[1]} ${m[2]} ${m[3]}`;
  if (hash('sha256', body, 'hex').slice(0, 16) !== m[4]) return null;
  return { gen: Number(m[1]), size: Number(m[2]), lastHash: m[3]! };
}

export type ReadHead = { kind: 'missing' } | { kind: 'unreadable' } | ({ kind: 'ok'; gen: number } & AckHead);

/** The newest intact slot of the head file. */
export async function readHead(dir: string, reader: EvidenceReader): Promise<ReadHead> {
  let bytes: Buffer;
  try {
    bytes = await reader.readFile(join(dir, HEAD_FILE));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    throw err;
  }
  const slots = [parseSlot(bytes.subarray(0, SLOT)), parseSlot(bytes.subarray(SLOT, 2 * SLOT))];
  const best = slots.filter((s) => s !== null).sort((a, b) => b.gen - a.gen)[0];
  return best ? { kind: 'ok', ...best } : { kind: 'unreadable' };
}

/** Open handle on the head file; `advance` makes a new head durable before the caller acknowledges anything. */
export class HeadFile {
  private constructor(
    private readonly fs: EvidenceFsOps,
    private readonly fd: number,
    private gen: number,
  ) {}

  /** (Re)write the whole file durably at `head`, then open it for in-place slot updates. */
  static async create(fs: EvidenceFsOps, dir: string, head: AckHead): Promise<HeadFile> {
    const path = join(dir, HEAD_FILE);
    await writeFileDurably(fs, path, Buffer.concat([slotText(head, 0), slotText(head, 1)]));
    return new HeadFile(fs, await fs.open(path, 'r+', 0o600), 1);
  }

  async advance(head: AckHead): Promise<void> {
    const gen = this.gen + 1;
    await this.fs.pwrite(this.fd, slotText(head, gen), (gen % 2) * SLOT);
    await this.fs.fsync(this.fd);
    this.gen = gen;
  }

  close(): Promise<void> {
    return this.fs.close(this.fd);
  }
}
