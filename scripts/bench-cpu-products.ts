// npm run bench:cpu:products [-- --before /path/to/other/checkout --types Q4_K,Q5_K,Q6_K --shapes 6144x1536,1536x6144
//   --rounds 7 --relaxed true|false --activations int8|f32]
// One thread, one product y = W x (M = 1, a decode step) on random weights of each ggml type and shape (rows x cols),
// packed and run by this checkout and, with --before, by another checkout's packer and kernels on the same ggml
// bytes in the same process, calls alternated: ms per product, GB/s of packed bytes, and the after/before ratio.
// The other checkout needs its wasm built (`npx tsx scripts/build-wasm.ts` in it).
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRng } from './fixtures/rng.js';
import { quantize } from '../src/gguf/quantize.js';
import { GgmlType } from '../src/gguf/types.js';
import * as layoutsHere from '../src/cpu/layouts.js';
import * as kernelsHere from '../src/cpu/wasm-kernels.js';

type Layouts = typeof layoutsHere;
type Kernels = typeof kernelsHere;

interface Side {
  name: string;
  time: () => number;
  bytes: number;
  y: () => Float32Array;
}

async function side(name: string, L: Layouts, K: Kernels, type: GgmlType, ggml: Uint8Array, rows: number, cols: number, x: Float32Array, relaxed: boolean, mode: 'int8' | 'f32'): Promise<Side> {
  const arena = new K.WasmArena(false);
  const k = await K.CpuKernels.create(arena, { relaxed });
  const layout = L.packGgml(type, ggml, rows, cols);
  const w = k.upload(layout.format, rows, cols, (dst) => dst.set(layout.bytes));
  const xp = arena.alloc(4 * cols);
  arena.f32(xp, cols).set(x);
  const yp = arena.alloc(16 * w.groups);
  k.prepare(xp, 1, cols, mode);
  return {
    name: `${name} (${layout.format})`,
    bytes: w.bytes,
    time() {
      const t0 = performance.now();
      k.matvec(w, yp);
      return performance.now() - t0;
    },
    y: () => arena.f32(yp, rows).slice(),
  };
}

const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];

async function main() {
  const { values } = parseArgs({
    options: {
      before: { type: 'string' },
      types: { type: 'string', default: 'Q4_K,Q5_K,Q6_K' },
      shapes: { type: 'string', default: '6144x1536,1536x6144,32768x1536' },
      rounds: { type: 'string', default: '7' },
      relaxed: { type: 'string' },
      activations: { type: 'string', default: 'int8' },
    },
  });
  const other = values.before
    ? {
        L: (await import(pathToFileURL(resolve(values.before, 'src/cpu/layouts.ts')).href)) as Layouts,
        K: (await import(pathToFileURL(resolve(values.before, 'src/cpu/wasm-kernels.ts')).href)) as Kernels,
      }
    : undefined;
  const relaxed = values.relaxed === undefined ? kernelsHere.supportsRelaxedSimd() : values.relaxed === 'true';
  const mode = values.activations as 'int8' | 'f32';
  console.log(`one thread, M = 1, ${relaxed ? 'relaxed' : 'plain'} SIMD, ${mode} activations; median of ${values.rounds} rounds`);
  for (const typeName of values.types!.split(',')) {
    const type = GgmlType[typeName as keyof typeof GgmlType];
    for (const shape of values.shapes!.split(',')) {
      const [rows, cols] = shape.split('x').map(Number);
      const rng = createRng(rows + cols);
      const ggml = quantize(type, Float32Array.from({ length: rows * cols }, () => rng.normal() * 0.05));
      const x = Float32Array.from({ length: cols }, () => rng.normal());
      const sides = [await side('after', layoutsHere, kernelsHere, type, ggml, rows, cols, x, relaxed, mode)];
      if (other) sides.unshift(await side('before', other.L, other.K, type, ggml, rows, cols, x, relaxed, mode));
      // Enough calls per round for ~100 ms of work.
      sides.forEach((s) => s.time());
      const reps = Math.max(1, Math.round(100 / Math.max(0.01, sides[0].time())));
      const times = sides.map(() => [] as number[]);
      for (let r = 0; r < Number(values.rounds); r++) {
        for (const i of r % 2 ? [...sides.keys()].reverse() : [...sides.keys()]) {
          let t = 0;
          for (let j = 0; j < reps; j++) t += sides[i].time();
          times[i].push(t / reps);
        }
      }
      const ms = times.map(median);
      const line = sides.map((s, i) => `${s.name} ${ms[i].toFixed(3)} ms ${(s.bytes / 1e6 / ms[i]).toFixed(1)} GB/s`).join(', ');
      let diff = '';
      if (other) {
        const [a, b] = [sides[0].y(), sides[1].y()];
        let worst = 0;
        let mag = 0;
        for (let i = 0; i < rows; i++) {
          worst = Math.max(worst, Math.abs(a[i] - b[i]));
          mag = Math.max(mag, Math.abs(a[i]));
        }
        diff = `, after/before speed ${(ms[0] / ms[1]).toFixed(3)}, max |y diff| ${worst.toExponential(1)} of max |y| ${mag.toExponential(1)}`;
      }
      console.log(`${typeName} ${rows}x${cols}: ${line}${diff}`);
    }
  }
}

main().catch((e) => {
  console.error(`error: ${(e as Error).stack}`);
  process.exit(1);
});
