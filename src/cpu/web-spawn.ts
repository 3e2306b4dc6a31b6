// Helper threads in a browser: a Web Worker from a Blob URL of the helper source (threads.ts), sent the compiled
// module and the shared memory. Needs a cross-origin isolated page (SharedArrayBuffer).
import { helperSource, type SpawnWorker } from './threads.js';

let url: string | undefined;

export const spawnWebWorker: SpawnWorker = (_source, init) => {
  url ??= URL.createObjectURL(new Blob([helperSource('web')], { type: 'text/javascript' }));
  const w = new Worker(url, { name: 'gemma-cpu-helper' });
  w.postMessage(init);
  return w;
};

/** Threads for the CPU path here: all cores when the page is cross-origin isolated, else one. */
export function defaultCpuThreads(requested?: number): { threads: number; why: string } {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const cores = (globalThis.navigator as { hardwareConcurrency?: number } | undefined)?.hardwareConcurrency ?? 1;
  if (!isolated) return { threads: 1, why: 'the page is not cross-origin isolated (no SharedArrayBuffer): one thread' };
  const threads = Math.max(1, Math.min(requested ?? cores, 16));
  return { threads, why: `${threads} threads over one shared memory (cross-origin isolated, ${cores} cores)` };
}
