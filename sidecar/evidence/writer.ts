// The open log: group-committed durable appends, checkpoints on count/time/close, rotation and pruning.
import type { KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { writeFileDurably } from './durable.ts';
import { EvidenceError } from './errors.ts';
import { buildRecord, type EvidenceRecord } from './format.ts';
import type { EvidenceFsOps } from './fs-ops.ts';
import type { HeadFile } from './head.ts';
import { CHECKPOINT_DIR, checkpointName, RESUME_FILE, segmentName } from './layout.ts';
import { type CompactRange, leafHash } from './merkle.ts';
import { checkpointBody, resumeBody, signNote } from './note.ts';
import { pruneSegments } from './prune.ts';
import type { CheckpointSink, EvidenceEvent, EvidenceLog, EvidenceLogEvent, EvidenceReceipt } from './types.ts';

export interface WriterConfig {
  readonly dir: string;
  readonly fs: EvidenceFsOps;
  readonly signingKey: KeyObject;
  readonly origin: string;
  readonly now: () => Date;
  readonly blind: (value: string) => string;
  readonly checkpointEvery: { readonly records: number; readonly seconds: number };
  readonly rotate: {
    readonly maxBytes: number;
    readonly maxAgeSeconds?: number;
    readonly keepSegments?: number;
  } | null;
  readonly sink: CheckpointSink | null;
  readonly onEvent: (e: EvidenceLogEvent) => void;
  /** Runs once the log is closed (releases the directory lock). */
  readonly onClosed?: () => Promise<void>;
  /** The acknowledged head, advanced after every group commit's sync and before any of it is acknowledged. */
  readonly head: HeadFile;
}

export interface WriterState {
  fd: number;
  segment: string;
  segmentBytes: number;
  /** Lines (records) in the current segment. */
  segmentLines: number;
  segmentFirstTs: Date | null;
  range: CompactRange;
  lastHash: string;
  /** -1 while no checkpoint exists yet (a fresh log still gets one at size 0). */
  lastCheckpointSize: number;
  /** Size of the signed resume point on disk (-1: none yet). */
  resumeSize: number;
}

interface Pending {
  readonly event: EvidenceEvent;
  readonly resolve: (r: EvidenceReceipt) => void;
  readonly reject: (e: Error) => void;
}

const EVENT_TYPE = /^[a-z][a-z0-9_]{0,63}$/;

/** The extended handle: the contract plus what the sidecar's operator commands may use. */
export interface EvidenceLogHandle extends EvidenceLog {
  /** Write a signed checkpoint now (if anything was appended since the last one). */
  checkpoint(): Promise<void>;
  /** Remove the oldest segments so at most `keepSegments` remain, leaving a signed anchor. */
  prune(keepSegments: number): Promise<string[]>;
  readonly size: number;
}

export class EvidenceWriter implements EvidenceLogHandle {
  private queue: Pending[] = [];
  private draining: Promise<void> | null = null;
  private checkpointWanted = false;
  private failed: Error | null = null;
  private closed = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly sinkDeliveries = new Set<Promise<void>>();
  /** INVARIANT: all file I/O runs inside this chain, one step at a time (the head file's updates excepted). */
  private io: Promise<unknown> = Promise.resolve();
  /** Head-file updates, one after another and each after its records' sync. */
  private headChain: Promise<void> = Promise.resolve();

  constructor(
    private readonly cfg: WriterConfig,
    private readonly st: WriterState,
  ) {
    if (cfg.checkpointEvery.seconds > 0) {
      this.timer = setInterval(() => {
        if (this.st.range.size > this.st.lastCheckpointSize) this.requestCheckpoint();
      }, cfg.checkpointEvery.seconds * 1000);
      this.timer.unref();
    }
  }

  get size(): number {
    return this.st.range.size;
  }

  blind(value: string): string {
    return this.cfg.blind(value);
  }

  append(event: EvidenceEvent): Promise<EvidenceReceipt> {
    if (this.closed) return Promise.reject(new EvidenceError('EVIDENCE_CLOSED', 'the evidence log is closed'));
    if (this.failed) return Promise.reject(this.unavailable(this.failed));
    const problem = checkEvent(event);
    if (problem) return Promise.reject(new EvidenceError('EVIDENCE_INVALID_EVENT', problem));
    return new Promise((resolve, reject) => {
      this.queue.push({ event, resolve, reject });
      this.kick();
    });
  }

  checkpoint(): Promise<void> {
    return this.exclusive(() => this.writeCheckpoint());
  }

  prune(keepSegments: number): Promise<string[]> {
    return this.exclusive(() => this.doPrune(keepSegments));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.draining;
    await this.headChain;
    try {
      await this.exclusive(async () => {
        if (!this.failed) await this.writeCheckpoint();
        await this.cfg.fs.close(this.st.fd);
        await this.cfg.head.close();
      });
      await Promise.allSettled([...this.sinkDeliveries]);
    } finally {
      await this.cfg.onClosed?.();
    }
  }

  private requestCheckpoint(): void {
    this.checkpointWanted = true;
    this.kick();
  }

  private kick(): void {
    // Start on a microtask so that every append issued in the same tick joins the first batch.
    this.draining ??= Promise.resolve()
      .then(() => this.exclusive(() => this.drain()))
      .catch((err: unknown) => {
        // INVARIANT: drain handles expected failures itself; anything else leaves the log unusable.
        this.failed = toError(err);
        this.cfg.onEvent({ kind: 'write_failed', error: this.failed, fatal: true });
        for (const p of this.queue.splice(0)) p.reject(this.unavailable(this.failed));
      })
      .finally(() => {
        this.draining = null;
        if (this.queue.length > 0 || this.checkpointWanted) this.kick();
      });
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.io.then(fn);
    this.io = run.catch(() => undefined);
    return run;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 || this.checkpointWanted) {
      if (this.queue.length > 0) {
        // Everything queued while the previous write+fsync was in flight shares this one.
        const batch = this.queue;
        this.queue = [];
        await this.commit(batch);
      }
      await this.maintain();
    }
  }

  private async commit(batch: Pending[]): Promise<void> {
    if (this.failed) {
      for (const p of batch) p.reject(this.unavailable(this.failed));
      return;
    }
    const ts = this.cfg.now();
    let seq = this.st.range.size;
    let prev = this.st.lastHash;
    const accepted: { p: Pending; record: EvidenceRecord }[] = [];
    const lines: string[] = [];
    for (const p of batch) {
      try {
        const built = buildRecord(p.event, seq, prev, ts);
        accepted.push({ p, record: built.record });
        lines.push(built.line);
        seq++;
        prev = built.record.hash;
      } catch (err) {
        p.reject(
          new EvidenceError('EVIDENCE_INVALID_EVENT', `event data cannot be recorded: ${(err as Error).message}`),
        );
      }
    }
    if (accepted.length === 0) return;
    const bytes = Buffer.from(lines.join(''));
    let stage: 'write' | 'fsync' = 'write';
    try {
      await this.cfg.fs.write(this.st.fd, bytes);
      stage = 'fsync';
      await this.cfg.fs.fsync(this.st.fd);
    } catch (err) {
      await this.rollBack(err as Error, stage === 'fsync');
      for (const a of accepted) a.p.reject(this.unavailable(err as Error));
      return;
    }
    // INVARIANT: the in-memory head moves only after the bytes are durable; the next batch chains from it.
    this.st.segmentBytes += bytes.length;
    this.st.segmentLines += accepted.length;
    this.st.segmentFirstTs ??= ts;
    for (const a of accepted) {
      this.st.range.append(leafHash(a.record.hash));
      this.st.lastHash = a.record.hash;
    }
    // The head file is advanced beside the next batch's write and sync rather than before it: the two are
    // different files, the head still moves only after these records are durable and in order, and nothing
    // of this batch is acknowledged before its head is durable.
    const advance = this.headChain.then(async () => {
      if (this.failed) throw this.failed;
      await this.cfg.head.advance({ size: seq, lastHash: prev });
    });
    this.headChain = advance.catch(() => undefined);
    advance.then(
      () => {
        for (const a of accepted) a.p.resolve({ seq: a.record.seq, hash: a.record.hash });
      },
      (err: unknown) => {
        // The records are durable but unacknowledged (like a crash right after the sync); without a durable
        // head nothing more may be acknowledged, so the log stops until a restart.
        if (!this.failed) {
          this.failed = toError(err);
          this.cfg.onEvent({ kind: 'write_failed', error: this.failed, fatal: true });
        }
        for (const a of accepted) a.p.reject(this.unavailable(toError(err)));
      },
    );
  }

  /** Cut the segment back to its last durable length so the next write continues a valid chain. */
  private async rollBack(cause: Error, fsyncFailed: boolean): Promise<void> {
    try {
      await this.cfg.fs.ftruncate(this.st.fd, this.st.segmentBytes);
      await this.cfg.fs.fsync(this.st.fd);
      // SECURITY: after a failed fsync the kernel may have dropped dirty pages and a retry can falsely
      // succeed, so nothing more is acknowledged until a restart re-verifies the file.
      if (fsyncFailed) this.failed = cause;
      this.cfg.onEvent({ kind: 'write_failed', error: cause, fatal: fsyncFailed });
    } catch (err) {
      // SECURITY: if the partial write cannot be removed, every later append must fail (fail closed);
      // the next start quarantines the torn tail.
      this.failed = err as Error;
      this.cfg.onEvent({ kind: 'write_failed', error: cause, fatal: true });
    }
  }

  private unavailable(cause: Error): EvidenceError {
    return new EvidenceError(
      'EVIDENCE_UNAVAILABLE',
      `evidence could not be written to ${this.cfg.dir} (${cause.message}); check disk space and permissions, then restart`,
      { cause },
    );
  }

  private async maintain(): Promise<void> {
    const rot = this.cfg.rotate;
    const st = this.st;
    const now = this.cfg.now();
    const tooBig = rot !== null && st.segmentBytes >= rot.maxBytes;
    const tooOld =
      rot?.maxAgeSeconds !== undefined &&
      st.segmentFirstTs !== null &&
      now.getTime() - st.segmentFirstTs.getTime() >= rot.maxAgeSeconds * 1000;
    if ((tooBig || tooOld) && !this.failed) {
      await this.rotate();
      return;
    }
    if (this.checkpointWanted || st.range.size - st.lastCheckpointSize >= this.cfg.checkpointEvery.records) {
      await this.writeCheckpoint();
    }
  }

  private async rotate(): Promise<void> {
    // Seal the old segment with a checkpoint, so the new one starts from a signed head.
    await this.writeCheckpoint();
    const name = segmentName(this.st.range.size);
    let fd: number;
    try {
      fd = await this.cfg.fs.open(join(this.cfg.dir, name), 'a', 0o600);
      await this.cfg.fs.syncDir(this.cfg.dir);
    } catch (err) {
      this.cfg.onEvent({ kind: 'rotate_failed', error: err as Error });
      return;
    }
    const old = this.st.fd;
    Object.assign(this.st, { fd, segment: name, segmentBytes: 0, segmentLines: 0, segmentFirstTs: null });
    await this.cfg.fs.close(old).catch(() => undefined);
    this.cfg.onEvent({ kind: 'rotated', segment: name });
    // The resume point moves to the new segment, so a prune of the old ones never sends a start back to a full read.
    await this.writeResume();
    const keep = this.cfg.rotate?.keepSegments;
    if (keep !== undefined) await this.doPrune(keep).catch(() => undefined);
  }

  private async doPrune(keepSegments: number): Promise<string[]> {
    try {
      const removed = await pruneSegments({
        dir: this.cfg.dir,
        fs: this.cfg.fs,
        signingKey: this.cfg.signingKey,
        origin: this.cfg.origin,
        keepSegments,
        currentSegment: this.st.segment,
      });
      if (removed.segments.length > 0) {
        this.cfg.onEvent({ kind: 'pruned', segments: removed.segments, anchorSize: removed.anchorSize });
        // The pruning itself becomes evidence; it is committed by the next batch.
        this.append({
          type: 'evidence_pruned',
          data: { segments: removed.segments, anchorSize: removed.anchorSize, anchorRoot: removed.anchorRoot },
        }).catch(() => undefined);
      }
      return removed.segments;
    } catch (err) {
      this.cfg.onEvent({ kind: 'prune_failed', error: err as Error });
      throw err;
    }
  }

  private async writeCheckpoint(): Promise<void> {
    this.checkpointWanted = false;
    const size = this.st.range.size;
    // After a failed sync nothing more is signed: the next start re-verifies what is on disk first.
    if (this.failed) return;
    if (size === this.st.lastCheckpointSize) {
      if (this.st.resumeSize !== size) await this.writeResume();
      return;
    }
    const root = this.st.range.root();
    const text = signNote(
      checkpointBody({ origin: this.cfg.origin, size, root }),
      this.cfg.origin,
      this.cfg.signingKey,
    );
    const file = join(CHECKPOINT_DIR, checkpointName(size));
    try {
      await writeFileDurably(this.cfg.fs, join(this.cfg.dir, file), text);
    } catch (err) {
      this.cfg.onEvent({ kind: 'checkpoint_failed', size, error: err as Error });
      return;
    }
    this.st.lastCheckpointSize = size;
    this.cfg.onEvent({ kind: 'checkpoint', size, file });
    await this.writeResume();
    const sink = this.cfg.sink;
    if (sink) {
      // Export never holds up appends; a slow or broken sink is reported, not fatal.
      const delivery = sink
        .put({ origin: this.cfg.origin, size, root: root.toString('base64'), text })
        .catch((error: unknown) => {
          this.cfg.onEvent({ kind: 'sink_failed', sink: sink.name, size, error: toError(error) });
        });
      this.sinkDeliveries.add(delivery);
      void delivery.finally(() => this.sinkDeliveries.delete(delivery));
    }
  }

  /** The signed resume point beside the newest checkpoint, so that the next start reads only what follows. */
  private async writeResume(): Promise<void> {
    const st = this.st;
    const text = signNote(
      resumeBody({
        origin: this.cfg.origin,
        size: st.range.size,
        root: st.range.root(),
        lastHash: st.lastHash,
        segment: st.segment,
        offset: st.segmentBytes,
        lines: st.segmentLines,
        frontier: st.range.hashes,
      }),
      this.cfg.origin,
      this.cfg.signingKey,
    );
    try {
      await writeFileDurably(this.cfg.fs, join(this.cfg.dir, RESUME_FILE), text);
      st.resumeSize = st.range.size;
    } catch (err) {
      // Only the next start's speed depends on it: it reads the whole log instead.
      this.cfg.onEvent({ kind: 'checkpoint_failed', size: st.range.size, error: err as Error });
    }
  }
}

function checkEvent(event: EvidenceEvent): string | null {
  if (typeof event !== 'object' || event === null) return 'an evidence event must be an object';
  if (typeof event.type !== 'string' || !EVENT_TYPE.test(event.type)) return 'field "type" must be a snake_case name';
  for (const key of ['proposalId', 'principal'] as const) {
    const v = event[key];
    if (v !== undefined && (typeof v !== 'string' || v.length === 0))
      return `field "${key}" must be a non-empty string`;
  }
  const d = event.data;
  if (d !== undefined && (typeof d !== 'object' || d === null || Array.isArray(d))) {
    return 'field "data" must be a plain object';
  }
  return null;
}

function toError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
