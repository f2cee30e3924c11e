// RFC 6962-style Merkle tree over record hashes: streaming roots (compact ranges), inclusion proofs and their check.
import { hash } from 'node:crypto';

// Scratch buffer for node hash inputs: verification hashes once per record, so no per-call allocation.
const nodeInput = Buffer.alloc(65, 1);

/**
 * Leaf hash of a record: its record hash itself. RFC 6962 prefixes leaves with 0x00 to keep them apart
 * from interior nodes; a record hash input already starts with "mailwarden/evidence/v1\n" while a node
 * input starts with 0x01, so the separation holds without hashing every record a second time.
 */
export function leafHash(recordHashHex: string): Buffer {
  return Buffer.from(recordHashHex, 'hex');
}

/** Interior node: SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  nodeInput.set(left, 1);
  nodeInput.set(right, 33);
  return hash('sha256', nodeInput, 'buffer') as unknown as Buffer;
}

// Scratch buffer of nodeHashHex: hashes kept as hex strings cost no Buffer allocation per node.
const hexNodeInput = Buffer.alloc(65, 1);

/** nodeHash on hex strings: a string result is about half the cost of a Buffer one at these sizes. */
export function nodeHashHex(left: string, right: string): string {
  hexNodeInput.write(left, 1, 'hex');
  hexNodeInput.write(right, 33, 'hex');
  return hash('sha256', hexNodeInput, 'hex');
}

export const EMPTY_ROOT: Buffer = hash('sha256', '', 'buffer') as unknown as Buffer;

/**
 * The right edge of a tree of `size` leaves: the roots of its perfect subtrees, largest first
 * (one per set bit of `size`). It is all one needs to keep appending and to compute the root.
 */
export class CompactRange {
  private readonly nodes: Buffer[];
  private count: number;

  constructor(size = 0, nodes: readonly Buffer[] = []) {
    if (nodes.length !== popcount(size)) {
      throw new Error(`a compact range of size ${size} needs ${popcount(size)} hashes, got ${nodes.length}`);
    }
    this.count = size;
    this.nodes = [...nodes];
  }

  get size(): number {
    return this.count;
  }

  get hashes(): readonly Buffer[] {
    return this.nodes;
  }

  append(leaf: Buffer): void {
    let node = leaf;
    let n = this.count;
    // Each trailing set bit of the old size is a perfect subtree that now has a right sibling.
    while (n % 2 === 1) {
      node = nodeHash(this.nodes.pop()!, node);
      n = Math.floor(n / 2);
    }
    this.nodes.push(node);
    this.count += 1;
  }

  /**
   * Append a whole perfect subtree of 2^level leaves, given its root: the same as appending its leaves one by
   * one. It must sit at an aligned place, so the size must be a multiple of 2^level.
   */
  appendSubtree(level: number, root: Buffer): void {
    const width = 2 ** level;
    if (this.count % width !== 0) {
      throw new Error(`a subtree of ${width} leaves is not aligned after ${this.count} leaves`);
    }
    let node = root;
    // As in append: each set bit of the size, from this level up, is a subtree that now has a right sibling.
    let n = this.count / width;
    while (n % 2 === 1) {
      node = nodeHash(this.nodes.pop()!, node);
      n = (n - 1) / 2;
    }
    this.nodes.push(node);
    this.count += width;
  }

  root(): Buffer {
    if (this.nodes.length === 0) return EMPTY_ROOT;
    let acc = this.nodes[this.nodes.length - 1]!;
    for (let i = this.nodes.length - 2; i >= 0; i--) acc = nodeHash(this.nodes[i]!, acc);
    return acc;
  }

  clone(): CompactRange {
    return new CompactRange(this.count, this.nodes);
  }
}

/** A perfect subtree of 2^level leaves, by its root. */
export interface Subtree {
  readonly level: number;
  readonly hash: Buffer;
}

/**
 * The leaves from `begin` on, as the fewest perfect subtrees at aligned places, left to right: what a piece of
 * the log verified on its own contributes to the tree, without knowing the hashes before it. Appended in order
 * to the compact range of the leaves before `begin` (appendSubtree), they give the tree of all of them.
 */
export class AlignedRange {
  private readonly levels: number[] = [];
  private readonly starts: number[] = [];
  /** Hex, as record hashes are written: a worker checks a million of them without allocating a Buffer each. */
  private readonly hashes: string[] = [];
  private next: number;

  constructor(begin: number) {
    this.next = begin;
  }

  /** Position after the last leaf. */
  get end(): number {
    return this.next;
  }

  /** Append a leaf given as the hex of its hash (a record hash: see leafHash). */
  append(leafHex: string): void {
    let node = leafHex;
    let level = 0;
    let start = this.next;
    // The last subtree merges with the new one when both are as large and together they start at an aligned place.
    for (;;) {
      const top = this.levels.length - 1;
      if (top < 0 || this.levels[top] !== level || this.starts[top]! % 2 ** (level + 1) !== 0) break;
      node = nodeHashHex(this.hashes.pop()!, node);
      start = this.starts.pop()!;
      this.levels.pop();
      level++;
    }
    this.levels.push(level);
    this.starts.push(start);
    this.hashes.push(node);
    this.next++;
  }

  nodes(): Subtree[] {
    return this.levels.map((level, i) => ({ level, hash: Buffer.from(this.hashes[i]!, 'hex') }));
  }
}

function popcount(n: number): number {
  let c = 0;
  for (let x = n; x > 0; x = Math.floor(x / 2)) c += x % 2;
  return c;
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * Source of subtree hashes for proofs: leaves at or after `base` are known one by one; the tree before
 * `base` (pruned) is known only through its compact range, which holds every subtree a proof for a later
 * leaf can need.
 */
export class ProofTree {
  private readonly prefix: Map<string, Buffer>;
  constructor(
    private readonly base: CompactRange,
    private readonly leaves: readonly Buffer[],
  ) {
    this.prefix = new Map();
    let start = 0;
    for (const node of base.hashes) {
      const width = largestPowerOfTwoAtMost(base.size - start);
      this.prefix.set(`${start}:${start + width}`, node);
      start += width;
    }
  }

  get size(): number {
    return this.base.size + this.leaves.length;
  }

  private subtree(lo: number, hi: number): Buffer {
    const known = this.prefix.get(`${lo}:${hi}`);
    if (known) return known;
    if (hi - lo === 1) {
      const leaf = this.leaves[lo - this.base.size];
      if (!leaf) throw new Error(`leaf ${lo} is pruned and not reachable from the anchor`);
      return leaf;
    }
    const k = largestPowerOfTwoBelow(hi - lo);
    return nodeHash(this.subtree(lo, lo + k), this.subtree(lo + k, hi));
  }

  rootAt(size: number): Buffer {
    return size === 0 ? EMPTY_ROOT : this.subtree(0, size);
  }

  /** RFC 6962 §2.1.2 consistency proof between the trees of the first `oldSize` and `newSize` leaves. */
  consistencyProof(oldSize: number, newSize: number): Buffer[] {
    if (oldSize <= 0 || oldSize >= newSize) return [];
    return this.subproof(oldSize, 0, newSize, true);
  }

  private subproof(m: number, lo: number, hi: number, whole: boolean): Buffer[] {
    if (m === hi - lo) return whole ? [] : [this.subtree(lo, hi)];
    const k = largestPowerOfTwoBelow(hi - lo);
    if (m <= k) return [...this.subproof(m, lo, lo + k, whole), this.subtree(lo + k, hi)];
    return [...this.subproof(m - k, lo + k, hi, false), this.subtree(lo, lo + k)];
  }

  /** RFC 6962 §2.1.1 audit path for leaf `index` in the tree of the first `size` leaves. */
  inclusionProof(index: number, size: number): Buffer[] {
    const path: Buffer[] = [];
    let lo = 0;
    let hi = size;
    const siblings: Buffer[] = [];
    while (hi - lo > 1) {
      const k = largestPowerOfTwoBelow(hi - lo);
      if (index < lo + k) {
        siblings.push(this.subtree(lo + k, hi));
        hi = lo + k;
      } else {
        siblings.push(this.subtree(lo, lo + k));
        lo = lo + k;
      }
    }
    // The audit path lists siblings from the leaf upwards.
    for (let i = siblings.length - 1; i >= 0; i--) path.push(siblings[i]!);
    return path;
  }
}

/** RFC 9162 §2.1.4.2: check that the tree of `oldSize` leaves is a prefix of the tree of `newSize`. */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Buffer,
  newRoot: Buffer,
  proof: readonly Buffer[],
): boolean {
  if (oldSize > newSize) return false;
  if (oldSize === newSize) return proof.length === 0 && oldRoot.equals(newRoot);
  if (oldSize === 0) return proof.length === 0;
  const path = (oldSize & (oldSize - 1)) === 0 ? [oldRoot, ...proof] : [...proof];
  if (path.length === 0) return false;
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && fr.equals(oldRoot) && sr.equals(newRoot);
}

function largestPowerOfTwoAtMost(n: number): number {
  let k = 1;
  while (k * 2 <= n) k *= 2;
  return k;
}

/** RFC 9162 §2.1.3.2: recompute the root from a leaf and its audit path. */
export function verifyInclusion(index: number, size: number, leaf: Buffer, proof: readonly Buffer[], root: Buffer) {
  if (index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.equals(root);
}
