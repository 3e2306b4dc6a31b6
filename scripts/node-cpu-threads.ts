// Node's helper threads for the CPU path (worker_threads running cpu/threads.ts's helper source), for tests,
// benchmarks and the logits command.
import { Worker } from 'node:worker_threads';
import type { SpawnWorker } from '../src/cpu/threads.js';

export const spawnNodeWorker: SpawnWorker = (source, init) => {
  const w = new Worker(source, { eval: true });
  w.postMessage(init);
  w.unref(); // an idle helper must not keep the process alive
  return w;
};
