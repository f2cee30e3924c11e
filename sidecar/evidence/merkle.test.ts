// Unit tests of the RFC 6962 tree: streaming roots agree with the recursive definition, proofs verify.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  AlignedRange,
  CompactRange,
  EMPTY_ROOT,
  leafHash,
  nodeHash,
  ProofTree,
  verifyConsistency,
  verifyInclusion,
} from './merkle.ts';

const leaves = Array.from({ length: 70 }, (_, i) => leafHash(createHash('sha256').update(String(i)).digest('hex')));

function reference(ls: Buffer[]): Buffer {
  if (ls.length === 0) return EMPTY_ROOT;
  if (ls.length === 1) return ls[0]!;
  let k = 1;
  while (k * 2 < ls.length) k *= 2;
  return nodeHash(reference(ls.slice(0, k)), reference(ls.slice(k)));
}

describe('merkle tree', () => {
  it('streams the same root as the recursive definition for every size', () => {
    const range = new CompactRange();
    expect(range.root().equals(EMPTY_ROOT)).toBe(true);
    for (let n = 1; n <= leaves.length; n++) {
      range.append(leaves[n - 1]!);
      expect(range.root().equals(reference(leaves.slice(0, n)))).toBe(true);
    }
  });

  it('joins pieces built apart: a range of leaves from any start, as aligned subtrees, extends any tree before it', () => {
    // What a worker thread builds for its piece of the log, and how the pieces come together in order.
    for (let begin = 0; begin <= 40; begin++) {
      const prefix = new CompactRange();
      for (const leaf of leaves.slice(0, begin)) prefix.append(leaf);
      const piece = new AlignedRange(begin);
      for (let end = begin + 1; end <= leaves.length; end++) {
        piece.append(leaves[end - 1]!.toString('hex'));
        expect(piece.end).toBe(end);
        const joined = prefix.clone();
        for (const n of piece.nodes()) joined.appendSubtree(n.level, n.hash);
        expect(joined.size).toBe(end);
        expect(joined.root().equals(reference(leaves.slice(0, end)))).toBe(true);
        // Every node is a perfect subtree at its aligned place: a compact range of the same size has the same hashes.
        const whole = new CompactRange();
        for (const leaf of leaves.slice(0, end)) whole.append(leaf);
        expect(joined.hashes.map((h) => h.toString('hex'))).toEqual(whole.hashes.map((h) => h.toString('hex')));
      }
    }
  });

  it('refuses a subtree that would not sit at an aligned place', () => {
    const range = new CompactRange();
    range.append(leaves[0]!);
    expect(() => range.appendSubtree(1, leaves[1]!)).toThrow(/aligned/);
  });

  it('proves inclusion of every leaf in every tree size, and rejects a wrong leaf or index', () => {
    const tree = new ProofTree(new CompactRange(), leaves);
    for (let size = 1; size <= 33; size++) {
      const root = tree.rootAt(size);
      for (let i = 0; i < size; i++) {
        const proof = tree.inclusionProof(i, size);
        expect(verifyInclusion(i, size, leaves[i]!, proof, root)).toBe(true);
        expect(verifyInclusion(i, size, leaves[(i + 1) % 70]!, proof, root)).toBe(false);
        if (size > 1) expect(verifyInclusion((i + 1) % size, size, leaves[i]!, proof, root)).toBe(false);
      }
    }
  });

  it('builds proofs for later leaves from a pruned prefix kept only as its compact range', () => {
    for (const cut of [1, 5, 8, 13, 32, 37]) {
      const prefix = new CompactRange();
      for (const l of leaves.slice(0, cut)) prefix.append(l);
      const tree = new ProofTree(prefix, leaves.slice(cut));
      const full = new ProofTree(new CompactRange(), leaves);
      for (const size of [cut + 1, cut + 9, 70]) {
        expect(tree.rootAt(size).equals(full.rootAt(size))).toBe(true);
        for (let i = cut; i < size; i++) {
          expect(verifyInclusion(i, size, leaves[i]!, tree.inclusionProof(i, size), full.rootAt(size))).toBe(true);
        }
      }
    }
  });

  it('proves consistency between every pair of tree sizes, and rejects a rewritten history', () => {
    const tree = new ProofTree(new CompactRange(), leaves);
    const forked = new ProofTree(
      new CompactRange(),
      leaves.map((l, i) => (i === 3 ? leafHash('00'.repeat(32)) : l)),
    );
    for (let n = 1; n <= 36; n++) {
      for (let m = 1; m <= n; m++) {
        const proof = tree.consistencyProof(m, n);
        expect(verifyConsistency(m, n, tree.rootAt(m), tree.rootAt(n), proof)).toBe(true);
        if (m > 3) {
          // A log that changed leaf 3 after signing size m cannot prove it extends that checkpoint.
          expect(verifyConsistency(m, n, tree.rootAt(m), forked.rootAt(n), forked.consistencyProof(m, n))).toBe(false);
        }
      }
    }
  });
});
