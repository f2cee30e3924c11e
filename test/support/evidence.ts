// Reads an evidence log's records as plain JSON lines, as an auditor's script would (no product code involved).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface EvidenceLine {
  readonly seq: number;
  readonly type: string;
  readonly proposalId?: string;
  readonly principal?: string;
  readonly prev: string;
  readonly hash: string;
  readonly data: Record<string, unknown>;
}

export function readEvidence(dir: string): EvidenceLine[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n'))
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as EvidenceLine);
}
