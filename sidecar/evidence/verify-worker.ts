// A worker thread of `evidence verify`: reads its pieces of the segments and checks them (chunk.ts).
import { parentPort } from 'node:worker_threads';
import { type ChunkJob, type ChunkResult, checkChunk, readChunk } from './chunk.ts';

parentPort?.on('message', (job: ChunkJob) => {
  let result: ChunkResult;
  try {
    const { bytes, at } = readChunk(job);
    result = checkChunk(bytes, at, job);
  } catch (err) {
    result = { ok: false, id: job.id, why: `could not read ${job.path}: ${(err as Error).message}` };
  }
  parentPort!.postMessage(result, result.ok && result.leaves ? [result.leaves.buffer as ArrayBuffer] : []);
});
