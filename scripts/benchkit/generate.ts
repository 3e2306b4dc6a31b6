// Writes a benchmark model's GGUF with several processes at once: the parent lays out the file (header, full
// size), each worker process regenerates the same deterministic fixture and writes its share of the tensors at
// their planned offsets. A 6 GB E4B file then takes seconds on a many-core machine instead of a minute.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { checkTensorData, planGguf, type GgufPlan } from '../../src/gguf/writer.js';
import { benchFixture } from '../bench/models.js';

/** Bump when the fixture generator's output changes, so cached files are not reused. */
export const GENERATOR_VERSION = 1;

export function modelFileName(name: string): string {
  return `${name}-v${GENERATOR_VERSION}.gguf`;
}

/** Deterministic split of the tensors into `parts` shares of about equal bytes (largest first, to the lightest). */
export function partitionTensors(plan: GgufPlan, parts: number): number[][] {
  const order = plan.tensorSizes.map((size, i) => ({ size, i })).sort((a, b) => b.size - a.size || a.i - b.i);
  const shares = Array.from({ length: parts }, () => ({ bytes: 0, tensors: [] as number[] }));
  for (const t of order) {
    let best = 0;
    for (let p = 1; p < parts; p++) if (shares[p].bytes < shares[best].bytes) best = p;
    shares[best].bytes += t.size;
    shares[best].tensors.push(t.i);
  }
  return shares.map((s) => s.tensors.sort((a, b) => a - b));
}

/** Worker side: writes share `part` of `parts` of model `name` into the laid-out file at `path`. */
export async function writeModelPart(name: string, path: string, part: number, parts: number): Promise<void> {
  const fixture = benchFixture(name);
  const plan = planGguf(fixture.spec);
  const file = await open(path, 'r+');
  try {
    for (const i of partitionTensors(plan, parts)[part]) {
      const data = fixture.tensorData(i);
      checkTensorData(fixture.spec, plan, i, data);
      let done = 0;
      while (done < data.byteLength) {
        const n = Math.min(data.byteLength - done, 1 << 30); // fs writes at most 2^31-1 bytes per call
        const { bytesWritten } = await file.write(data, done, n, plan.dataOffset + plan.tensorOffsets[i] + done);
        done += bytesWritten;
      }
    }
  } finally {
    await file.close();
  }
}

export interface GenerateOptions {
  /** Worker processes for this model. */
  readonly parts: number;
  /** Starts one worker: runs writeModelPart(name, path, part, parts) in a new process. */
  readonly spawnPart: (name: string, path: string, part: number, parts: number) => Promise<void>;
}

/** Makes `dir/<name>-vN.gguf` unless a complete one is there; returns its path and the seconds it took. */
export async function generateModelFile(name: string, dir: string, o: GenerateOptions): Promise<{ path: string; seconds: number; reused: boolean }> {
  const t0 = performance.now();
  const path = `${dir}/${modelFileName(name)}`;
  const plan = planGguf(benchFixture(name).spec);
  if (existsSync(path) && (await stat(path)).size === plan.totalSize) return { path, seconds: 0, reused: true };
  const tmp = `${path}.part`;
  const file = await open(tmp, 'w');
  try {
    await file.write(plan.header, 0, plan.header.byteLength, 0);
    await file.truncate(plan.totalSize); // zero padding everywhere the tensors do not cover
  } finally {
    await file.close();
  }
  try {
    await Promise.all(Array.from({ length: o.parts }, (_, p) => o.spawnPart(name, tmp, p, o.parts)));
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  await rename(tmp, path);
  return { path, seconds: (performance.now() - t0) / 1000, reused: false };
}

/** spawnPart for a runner script that handles `gen-part NAME PATH PART PARTS` (this process's own Node). */
export function spawnPartWith(script: string) {
  return (name: string, path: string, part: number, parts: number) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [script, 'gen-part', name, path, String(part), String(parts)], { stdio: ['ignore', 'inherit', 'inherit'] });
      child.on('error', reject);
      child.on('exit', (code, signal) =>
        code === 0 ? resolve() : reject(new Error(`generating ${name} part ${part}/${parts} failed (exit ${code ?? signal})`)),
      );
    });
}
