// npm run bench:sampler [-- --vocab 262144 --runs 200]
// ms per token of the CPU path's sampling step in Node: the TypeScript reference as the CPU generator used it
// (finiteness loop + sampleCpu) next to the wasm scan + TypeScript merge (model/cpu-sampler.ts), on the same logits
// in wasm memory, for a few sampling configurations. Also checks that both give the same token on every run.
import { parseArgs } from 'node:util';
import { CpuKernels, WasmArena } from '../src/cpu/wasm-kernels.js';
import { CpuSampler } from '../src/model/cpu-sampler.js';
import type { SamplingParams } from '../src/model/generator.js';
import { counterUniform, sampleCpu } from '../src/reference/sample.js';
import { maskOf } from '../src/reference/token-mask.js';
import { DEFAULT_SAMPLING_PARAMS } from '../src/runtime/sampling-params.js';
import { createRng } from './fixtures/rng.js';

const { values: args } = parseArgs({ options: { vocab: { type: 'string', default: '262144' }, runs: { type: 'string', default: '200' } } });
const V = Number(args.vocab);
const RUNS = Number(args.runs);

const rng = createRng(7);
// Softcapped-logit-like values: a broad bulk and a few clear leaders, as a real row has.
const logits = Float32Array.from({ length: V }, () => 30 * Math.tanh((rng.normal() * 3 - 2) / 30));
for (let j = 0; j < 20; j++) logits[rng.int(V)] = 20 + rng.next() * 5;
const history = new Map<number, number>();
for (let j = 0; j < 300; j++) history.set(rng.int(V), 1 + rng.int(3));
const noHistory = new Map<number, number>();
const dense = maskOf(V, [...Array(V).keys()].filter(() => rng.next() < 0.5));
const sparse = maskOf(V, Array.from({ length: 100 }, () => rng.int(V)));

const base: SamplingParams = { ...DEFAULT_SAMPLING_PARAMS, seed: 42 };
const configs: { name: string; p: SamplingParams; history: Map<number, number>; mask?: Uint32Array }[] = [
  { name: 'greedy', p: { ...base, temperature: 0 }, history: noHistory },
  { name: 'top-k 40', p: { ...base, topK: 40, topP: 1 }, history: noHistory },
  { name: 'top-k 0, top-p 0.9', p: { ...base, topK: 0, topP: 0.9 }, history: noHistory },
  { name: 'defaults (k 64, p 0.95), mask 50%', p: base, history: noHistory, mask: dense },
  { name: 'top-k 0, mask of 100 tokens', p: { ...base, topK: 0, topP: 1 }, history: noHistory, mask: sparse },
  { name: 'defaults + penalties (300 ids) + bias', p: { ...base, repetitionPenalty: 1.1, presencePenalty: 0.5, logitBias: { 5: 3, 77: -100 } }, history },
];

const arena = new WasmArena(false);
const kernels = await CpuKernels.create(arena);
const ptr = arena.alloc(4 * V);
arena.f32(ptr, V).set(logits);
const sampler = new CpuSampler(kernels, V);

/** The step as the CPU generator ran it before the wasm scan: a finiteness loop over V, then sampleCpu. */
function referenceStep(c: (typeof configs)[number], step: number): number {
  for (let i = 0; i < V; i++) if (!Number.isFinite(logits[i])) throw new Error('non-finite');
  return sampleCpu(logits, c.p, c.history, () => counterUniform(c.p.seed, step), c.mask);
}

function wasmStep(c: (typeof configs)[number], step: number): number {
  const prepared = sampler.prepare(ptr, logits, c.p, c.history, c.mask);
  if (prepared.nonFinite > 0) throw new Error('non-finite');
  return prepared.sample(() => counterUniform(c.p.seed, step));
}

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
function time(f: (step: number) => number): { ms: number; tokens: number[] } {
  const tokens: number[] = [];
  for (let s = 0; s < 10; s++) f(s); // warm-up (JIT tiers)
  const ms: number[] = [];
  for (let s = 0; s < RUNS; s++) {
    const t0 = performance.now();
    tokens.push(f(s));
    ms.push(performance.now() - t0);
  }
  return { ms: median(ms), tokens };
}

console.log(`sampler, V = ${V}, median of ${RUNS} steps per config (Node ${process.version})`);
console.log(`${'config'.padEnd(40)} ${'TS ms'.padStart(8)} ${'wasm ms'.padStart(8)} ${'speed-up'.padStart(9)}  same tokens`);
for (const c of configs) {
  const ts = time((s) => referenceStep(c, s));
  const wasm = time((s) => wasmStep(c, s));
  const same = ts.tokens.every((t, i) => t === wasm.tokens[i]);
  console.log(`${c.name.padEnd(40)} ${ts.ms.toFixed(3).padStart(8)} ${wasm.ms.toFixed(3).padStart(8)} ${(ts.ms / wasm.ms).toFixed(1).padStart(8)}x  ${same}`);
  if (!same) process.exitCode = 1;
}
