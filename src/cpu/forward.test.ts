// The whole CPU forward pass against the reference on generated Gemma-4-shaped models of every tensor type and the
// real files' mixes: prefill (several chunks), decode and the §3.5 tail, in the f32-activation mode (the WebGPU
// path's tolerance) and in the 8-bit mode (against the reference with the activation quantizer modelled, same
// tolerance, plus a bound on its distance to the plain reference); greedy tokens identical in the f32 mode.
import { beforeAll, describe, expect, it } from 'vitest';
import { REAL_MIXES, SHAPES, uniformMix, type FixtureOptions } from '../../scripts/fixtures/gemma-fixture.js';
import { buildReferenceModel } from '../../scripts/fixtures/load-fixture.js';
import { GgmlType } from '../gguf/types.js';
import { createReferenceState, forwardReference, type ForwardOptions } from '../reference/forward.js';
import type { DenseMatrix, Vec } from '../reference/math.js';
import { dequantizeActivationsRef, quantizeActivationsRef } from '../reference/quantize-activations.js';
import { CpuForward } from './forward.js';
import type { ThreadedProducts } from './threads.js';
import { layoutFormatOf } from './ggml-codes.js';

// Same tolerance as the WebGPU forward test: |cpu - ref| <= ATOL + RTOL |ref|.
const ATOL = 2e-3;
const RTOL = 2e-3;
const TOKENS = [2, 105, 500, 501, 17, 494, 510, 600, 3, 88, 106, 107, 520, 530, 540, 550, 560, 570, 580, 590, 23];

type Ref = Awaited<ReturnType<typeof buildReferenceModel>>;

function ratio(got: Float32Array, ref: Float32Array): number {
  let w = 0;
  for (let i = 0; i < ref.length; i++) w = Math.max(w, Math.abs(got[i] - ref[i]) / (ATOL + RTOL * Math.abs(ref[i])));
  return w;
}

/** The 8-bit mode's products, modelled: inputs of quantized-layout weights go through the activation quantizer. */
function int8ProductInput(ref: Ref): ForwardOptions['productInput'] {
  const quantized = new Set<DenseMatrix>();
  const typeOf = new Map(ref.header.tensors.map((t) => [t.name, t.type]));
  const isQ = (name: string) => layoutFormatOf(typeOf.get(name)!) !== 'f32';
  ref.weights.layers.forEach((l, i) => {
    const n = (s: string) => `blk.${i}.${s}.weight`;
    for (const [m, name] of [
      [l.q, 'attn_q'], [l.k, 'attn_k'], [l.v, 'attn_v'], [l.o, 'attn_output'], [l.gate, 'ffn_gate'], [l.up, 'ffn_up'],
      [l.down, 'ffn_down'], [l.pleGate, 'inp_gate'], [l.pleProj, 'proj'],
    ] as const) {
      if (m && isQ(n(name))) quantized.add(m);
    }
  });
  if (ref.weights.pleModelProj && isQ('per_layer_model_proj.weight')) quantized.add(ref.weights.pleModelProj);
  if (isQ(typeOf.has('output.weight') ? 'output.weight' : 'token_embd.weight')) quantized.add(ref.weights.output);
  return (w: DenseMatrix, x: Vec) =>
    quantized.has(w) ? dequantizeActivationsRef(quantizeActivationsRef(Float32Array.from(x), w.cols)) : x;
}

const tiny = (type: GgmlType, seed: number): FixtureOptions => ({ shape: SHAPES.tiny, mix: uniformMix(type), seed });
const kq = (type: GgmlType, seed: number): FixtureOptions => ({ shape: SHAPES.kquant, mix: uniformMix(type), seed });
const cases: Array<[string, FixtureOptions]> = [
  ['F32', tiny(GgmlType.F32, 40)],
  ['F16', tiny(GgmlType.F16, 41)],
  ['BF16', tiny(GgmlType.BF16, 42)],
  ['Q8_0', tiny(GgmlType.Q8_0, 43)],
  ['Q4_0', tiny(GgmlType.Q4_0, 44)],
  ['Q4_1', tiny(GgmlType.Q4_1, 45)],
  ['Q5_0', tiny(GgmlType.Q5_0, 46)],
  ['Q5_1', tiny(GgmlType.Q5_1, 47)],
  ['Q4_K', kq(GgmlType.Q4_K, 48)],
  ['Q5_K', kq(GgmlType.Q5_K, 49)],
  ['Q6_K', kq(GgmlType.Q6_K, 50)],
  ['Google QAT Q4_0 mix', { shape: SHAPES.kquant, mix: REAL_MIXES['google-qat-q4_0'], seed: 51 }],
  ['ggml-org Q4_0 mix', { shape: SHAPES.tiny, mix: REAL_MIXES['ggml-org-q4_0'], seed: 52 }],
  ['Q4_K_M mix', { shape: SHAPES.kquant, mix: REAL_MIXES.q4_k_m, seed: 53 }],
];

describe.each(cases)('CPU forward vs reference: %s', (name, options) => {
  let ref: Ref;
  const expected: { int8?: Float32Array[] } = {};
  let plain: Float32Array[];
  beforeAll(async () => {
    ref = await buildReferenceModel(options);
    const run = (o: ForwardOptions) => forwardReference(ref.config, ref.weights, createReferenceState(ref.config), TOKENS, { logits: 'all', ...o });
    plain = run({});
    expected.int8 = run({ productInput: int8ProductInput(ref) });
  });

  it('f32 activations: prefill (chunks of 8), decode and the shared-layer tail match', async () => {
    const model = await CpuForward.load(ref.source, ref.header, ref.config, { contextLength: 128, chunk: 8, activations: 'f32' });
    const logits = await model.run(TOKENS, 'all');
    const prefill = Math.max(...logits.map((row, i) => ratio(row, plain[i])));
    model.reset();
    const decode: number[] = [];
    for (let i = 0; i < TOKENS.length; i++) decode.push(ratio((await model.run([TOKENS[i]], 'last'))[0], plain[i]));
    model.reset();
    const tail = await model.run(TOKENS, 'last');
    console.log(`${name} f32: worst/tolerance prefill ${prefill.toFixed(3)} decode ${Math.max(...decode).toFixed(3)}`);
    expect(prefill).toBeLessThan(1);
    expect(Math.max(...decode)).toBeLessThan(1);
    expect(ratio(tail[0], plain[TOKENS.length - 1])).toBeLessThan(1);
  });

  // The 8-bit mode's error budget is derived from the exact model of its quantizer: the reference run with every
  // quantized product's input replaced by its int8 codes times scale. Random fixtures are chaotic (attention at
  // scale 1 over unit-RMS heads is nearly a hard argmax), so one code that rounds the other way (f32 vs f64 inputs)
  // moves the logits as much as the quantization itself; the CPU may be at most 2x the modelled error away.
  it('int8 activations: within twice the modelled quantization error of the reference, prefill and decode', async () => {
    const model = await CpuForward.load(ref.source, ref.header, ref.config, { contextLength: 128, chunk: 8, activations: 'int8' });
    const logits = await model.run(TOKENS, 'all');
    model.reset();
    const decoded: Float32Array[] = [];
    for (const t of TOKENS) decoded.push((await model.run([t], 'last'))[0]);
    const maxAbs = (a: Float32Array[]) => Math.max(...a.map((row, i) => row.reduce((w, v, j) => Math.max(w, Math.abs(v - plain[i][j])), 0)));
    const modelled = maxAbs(expected.int8!);
    const budget = 2 * modelled + ATOL;
    console.log(
      `${name} int8: max |logit error| prefill ${maxAbs(logits).toFixed(4)} decode ${maxAbs(decoded).toFixed(4)}, ` +
        `modelled quantizer ${modelled.toFixed(4)}, vs the modelled run ${Math.max(...logits.map((r, i) => ratio(r, expected.int8![i]))).toFixed(3)} x tolerance`,
    );
    expect(maxAbs(logits)).toBeLessThan(budget);
    expect(maxAbs(decoded)).toBeLessThan(budget);
  });
});

function referenceGreedy(ref: Ref, prompt: number[], n: number): { tokens: number[]; margins: number[] } {
  const state = createReferenceState(ref.config);
  let logits = forwardReference(ref.config, ref.weights, state, prompt, { logits: 'last' })[0];
  const tokens: number[] = [];
  const margins: number[] = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let v = 1; v < logits.length; v++) if (logits[v] > logits[best]) best = v;
    let second = -Infinity;
    for (let v = 0; v < logits.length; v++) if (v !== best && logits[v] > second) second = logits[v];
    tokens.push(best);
    margins.push(logits[best] - second);
    if (i < n - 1) logits = forwardReference(ref.config, ref.weights, state, [best], { logits: 'last' })[0];
  }
  return { tokens, margins };
}

const argmax = (z: Float32Array) => z.reduce((best, v, i) => (v > z[best] ? i : best), 0);

describe.each([
  ['F32', tiny(GgmlType.F32, 60)],
  ['Google QAT Q4_0 mix', { shape: SHAPES.kquant, mix: REAL_MIXES['google-qat-q4_0'], seed: 62 }],
  ['Q4_K_M mix', { shape: SHAPES.kquant, mix: REAL_MIXES.q4_k_m, seed: 61 }],
] as Array<[string, FixtureOptions]>)('greedy generation, f32 activations: %s', (name, options) => {
  it('64 tokens identical to the reference', async () => {
    const ref = await buildReferenceModel(options);
    const prompt = [2, 105, 500, 501, 17, 494, 510];
    const expected = referenceGreedy(ref, prompt, 64);
    const model = await CpuForward.load(ref.source, ref.header, ref.config, { contextLength: 128, chunk: 4, activations: 'f32' });
    const got: number[] = [];
    let z = (await model.run(prompt, 'last'))[0];
    for (let i = 0; i < 64; i++) {
      got.push(argmax(z));
      if (i < 63) z = (await model.run([got[i]], 'last'))[0];
    }
    console.log(`${name}: smallest reference top-1 margin ${Math.min(...expected.margins).toExponential(2)}`);
    expect(got).toEqual(expected.tokens);
  });
});

describe('threads', () => {
  it.each([
    [2, true],
    [3, true],
    [2, false],
  ])('%i threads over one shared memory give the one-thread logits exactly (this thread works too: %s)', async (threads, callerWorks) => {
    const { spawnNodeWorker } = await import('../../scripts/node-cpu-threads.js');
    const ref = await buildReferenceModel({ shape: SHAPES.kquant, mix: REAL_MIXES.q4_k_m, seed: 70 });
    for (const activations of ['int8', 'f32'] as const) {
      const one = await CpuForward.load(ref.source, ref.header, ref.config, { contextLength: 64, chunk: 8, activations });
      const many = await CpuForward.load(ref.source, ref.header, ref.config, { contextLength: 64, chunk: 8, activations, threads, spawn: spawnNodeWorker, callerWorks });
      try {
        expect(many.products.threads).toBe(threads);
        const a = await one.run(TOKENS, 'all');
        const b = await many.run(TOKENS, 'all');
        expect(b).toEqual(a);
        expect(await many.run([7], 'last')).toEqual(await one.run([7], 'last'));
        // Chunks come from a shared counter, so only a caller that takes none proves the helpers compute.
        if (!callerWorks) expect((many.products as ThreadedProducts).helperChunks()).toBeGreaterThan(0);
      } finally {
        many.close();
      }
    }
  });
});

// gguf-gemma4.md: attn_v is optional on every layer; without it V is the K projection before k_norm. Layers 0
// (sliding) and 3 (full attention) of the tiny shape own their KV and are written without blk.N.attn_v.weight.
describe('layers without blk.N.attn_v.weight (V = the K projection before k_norm)', () => {
  const base: FixtureOptions = { ...tiny(GgmlType.Q8_0, 56), withoutAttnV: [0, 3] };
  let without: Ref;
  let original: Ref;
  beforeAll(async () => {
    without = await buildReferenceModel(base);
    original = await buildReferenceModel({ ...base, withoutAttnV: undefined });
  });

  it('load with no V weights packed for them, and match the reference in f32 activations (prefill, decode, tail)', async () => {
    expect(without.header.tensors.some((t) => t.name === 'blk.3.attn_v.weight')).toBe(false);
    expect(without.header.tensors.some((t) => t.name === 'blk.1.attn_v.weight')).toBe(true);
    const model = await CpuForward.load(without.source, without.header, without.config, { contextLength: 128, chunk: 8, activations: 'f32' });
    const full = await CpuForward.load(original.source, original.header, original.config, { contextLength: 128, chunk: 8, activations: 'f32' });
    expect(model.weights.layers.map((l) => l.v === undefined)).toEqual(without.config.layers.map((l) => [0, 3].includes(l.index) || !l.ownsKv));
    // No extra memory: exactly the two V matrices fewer than the file that has them.
    const vBytes = full.weights.layers[0].v!.bytes + full.weights.layers[3].v!.bytes;
    expect(model.weights.packedBytes).toBe(full.weights.packedBytes - vBytes);

    const plain = forwardReference(without.config, without.weights, createReferenceState(without.config), TOKENS, { logits: 'all' });
    const logits = await model.run(TOKENS, 'all');
    const prefill = Math.max(...logits.map((row, i) => ratio(row, plain[i])));
    model.reset();
    const decode: number[] = [];
    for (let i = 0; i < TOKENS.length; i++) decode.push(ratio((await model.run([TOKENS[i]], 'last'))[0], plain[i]));
    model.reset();
    const tail = await model.run(TOKENS, 'last');
    console.log(`no attn_v f32: worst/tolerance prefill ${prefill.toFixed(3)} decode ${Math.max(...decode).toFixed(3)}`);
    expect(prefill).toBeLessThan(1);
    expect(Math.max(...decode)).toBeLessThan(1);
    expect(ratio(tail[0], plain[TOKENS.length - 1])).toBeLessThan(1);
    // The fixture's layers 0 and 3 really change the model: the file with attn_v gives other logits.
    const withV = await full.run(TOKENS, 'all');
    expect(Math.max(...withV.map((row, i) => ratio(row, plain[i])))).toBeGreaterThan(10);
  });

  it('greedy generation, f32 activations: 32 tokens identical to the reference', async () => {
    const prompt = [2, 105, 500, 501, 17, 494, 510];
    const expected = referenceGreedy(without, prompt, 32);
    const model = await CpuForward.load(without.source, without.header, without.config, { contextLength: 128, chunk: 4, activations: 'f32' });
    const got: number[] = [];
    let z = (await model.run(prompt, 'last'))[0];
    for (let i = 0; i < 32; i++) {
      got.push(argmax(z));
      if (i < 31) z = (await model.run([got[i]], 'last'))[0];
    }
    console.log(`no attn_v: smallest reference top-1 margin ${Math.min(...expected.margins).toExponential(2)}`);
    expect(got).toEqual(expected.tokens);
  });
});
