// The GPU sampler (kernels/sample.ts) against the CPU sampler that defines the semantics (reference/sample.ts):
// greedy ids exactly, candidate sets exactly (duplicates at the k-th value, all three tie paths), each draw equal to
// the CPU draw with the same counter-based uniform, and the empirical distribution by a chi-square test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBuffer } from '../gpu/buffers.js';
import type { GpuContext } from '../gpu/context.js';
import { readF32, readU32 } from '../gpu/readback.js';
import { submitOps } from '../gpu/recorder.js';
import { checkShader } from '../gpu/kernel.js';
import {
  SAMPLER_LAYOUT,
  SAMPLER_MAX_CANDIDATES,
  SAMPLE_ARGMAX,
  SAMPLE_ARGMAX_FINAL,
  SAMPLE_COMPACT,
  SAMPLE_DRAW,
  SAMPLE_HISTOGRAM,
  SAMPLE_REFINE,
  SAMPLE_SELECT,
  createGpuSampler,
  type GpuSampler,
  type GpuSamplerOptions,
} from './sample.js';
import { createStepBuffer, writeStep } from './step.js';
import { seeded, testContext, upload } from './test-helpers.js';
import { softcapInPlace } from '../reference/math.js';
import {
  MAX_SAMPLING_CANDIDATES,
  adjustLogits,
  argmaxLowest,
  countTokens,
  counterUniform,
  drawFromCumulative,
  sampleCpu,
  samplingDistribution,
  type TokenCounts,
} from '../reference/sample.js';
import { resolveSamplingParams, type SamplingParams } from '../runtime/sampling-params.js';

let ctx: GpuContext;
let stepBuffer: GPUBuffer;
beforeAll(async () => {
  ctx = await testContext();
  stepBuffer = createStepBuffer(ctx);
});
afterAll(() => ctx?.destroy());

const NO_HISTORY: TokenCounts = new Map();

function makeSampler(logits: Float32Array, options: Partial<GpuSamplerOptions> = {}): { sampler: GpuSampler; logitsBuffer: GPUBuffer } {
  const logitsBuffer = upload(ctx, logits, 'logits');
  const sampler = createGpuSampler(ctx, { logits: logitsBuffer, vocabSize: logits.length, step: stepBuffer, autoAccept: false, ...options });
  return { sampler, logitsBuffer };
}

/** One submit of the sampler's ops at (seed, step); returns outputToken (count words). */
async function runStep(sampler: GpuSampler, seed: number, step: number, count = 1): Promise<Uint32Array> {
  writeStep(ctx, stepBuffer, { startPos: 0, step, seed });
  submitOps(ctx, sampler.ops());
  return readU32(ctx, sampler.outputToken, 0, count);
}

async function readCandidates(sampler: GpuSampler) {
  const words = await readU32(ctx, sampler.work, SAMPLER_LAYOUT.outCount * 4, 2);
  const k = words[0];
  const ids = await readU32(ctx, sampler.work, SAMPLER_LAYOUT.outIds * 4, k);
  const probs = await readF32(ctx, sampler.work, SAMPLER_LAYOUT.outProbs * 4, k);
  return { k, kept: words[1], ids, probs };
}

const params = (p: Partial<SamplingParams>) => resolveSamplingParams(p);

/** Regularised upper incomplete gamma Q(a, x) (series below a + 1, continued fraction above). */
function gammaQ(a: number, x: number): number {
  const lnGamma = (z: number) => {
    const c = [76.18009172947146, -86.50532032941677, 24.01409824083091, -1.231739572450155, 0.1208650973866179e-2, -0.5395239384953e-5];
    let y = z;
    const t = z + 5.5 - (z + 0.5) * Math.log(z + 5.5);
    let s = 1.000000000190015;
    for (const ci of c) s += ci / ++y;
    return -t + Math.log((2.5066282746310005 * s) / z);
  };
  if (x <= 0) return 1;
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 1000; n++) {
      term *= x / (a + n);
      sum += term;
      if (term < sum * 1e-15) break;
    }
    return 1 - sum * Math.exp(-x + a * Math.log(x) - lnGamma(a));
  }
  let b = x + 1 - a;
  let c = 1e300;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < 1e-300) d = 1e-300;
    c = b + an / c;
    if (Math.abs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return Math.exp(-x + a * Math.log(x) - lnGamma(a)) * h;
}

/** Pearson chi-square of observed ids against exact probabilities; bins with expected < 5 are pooled. */
function chiSquare(ids: ArrayLike<number>, candidates: ArrayLike<number>, probs: ArrayLike<number>) {
  const n = ids.length;
  const observed = new Map<number, number>();
  for (let i = 0; i < n; i++) observed.set(ids[i], (observed.get(ids[i]) ?? 0) + 1);
  let stat = 0;
  let bins = 0;
  let pooledExpected = 0;
  let pooledObserved = 0;
  let outside = n;
  for (let j = 0; j < probs.length; j++) {
    const o = observed.get(candidates[j]) ?? 0;
    outside -= o;
    const e = probs[j] * n;
    if (e < 5) {
      pooledExpected += e;
      pooledObserved += o;
    } else {
      stat += ((o - e) * (o - e)) / e;
      bins++;
    }
  }
  if (pooledExpected > 0) {
    stat += ((pooledObserved - pooledExpected) ** 2) / pooledExpected;
    bins++;
  }
  const df = bins - 1;
  return { stat, df, p: df > 0 ? gammaQ(df / 2, stat / 2) : 1, outside };
}

/** Compares GPU draws with CPU draws of the same uniforms; a mismatch must sit on a rounding boundary. */
function compareDraws(gpu: Uint32Array, logits: ArrayLike<number>, p: SamplingParams, history: TokenCounts, seed: number, step0: number) {
  const d = samplingDistribution(logits, p, history);
  const total = d.cumulative[d.kept - 1];
  const position = new Map([...d.candidates].map((id, j) => [id, j]));
  let mismatches = 0;
  let unexplained = 0;
  for (let t = 0; t < gpu.length; t++) {
    const u = counterUniform(seed, step0 + t);
    const j = drawFromCumulative(d.cumulative, u);
    if (d.candidates[j] === gpu[t]) continue;
    mismatches++;
    const g = position.get(gpu[t]);
    if (g === undefined || g >= d.kept || Math.abs(g - j) !== 1 || Math.abs(u * total - d.cumulative[Math.min(g, j)]) > 1e-4 * total) unexplained++;
  }
  return { mismatches, unexplained, d };
}

describe('GPU sampler: shaders', () => {
  it('compile', async () => {
    for (const source of [SAMPLE_ARGMAX, SAMPLE_ARGMAX_FINAL, SAMPLE_HISTOGRAM, SAMPLE_REFINE, SAMPLE_SELECT, SAMPLE_COMPACT, SAMPLE_DRAW]) {
      await checkShader(ctx, source);
    }
  });
});

describe('GPU sampler: greedy', () => {
  it('equals the CPU argmax (ties to the lowest id) on many random vectors', async () => {
    const V = 4097;
    const logits = new Float32Array(V);
    const { sampler, logitsBuffer } = makeSampler(logits);
    const r = seeded(11);
    let checked = 0;
    for (let t = 0; t < 40; t++) {
      for (let i = 0; i < V; i++) logits[i] = t % 4 === 3 ? Math.round(r.normal() * 2) : r.normal() * 4;
      if (t % 2 === 1) {
        // Plant the maximum at several places, across workgroups and threads; the lowest must win.
        const m = Math.max(...logits) + 1;
        for (const at of [4096, 1 + ((t * 977) % 4000), 2 + ((t * 131) % 4000)]) logits[at] = m;
      }
      if (t === 10) logits.fill(-Infinity);
      if (t === 12) logits[5] = NaN;
      writeBuffer(ctx, logitsBuffer, 0, logits);
      const [id] = await runStep(sampler, 1, t);
      expect(id, `vector ${t}`).toBe(argmaxLowest(adjustLogits(logits, params({ temperature: 0 }))));
      checked++;
    }
    expect(checked).toBe(40);
  });

  it.each([1, 7, 255, 1000])('vocabulary of %i', async (V) => {
    const r = seeded(V);
    const logits = Float32Array.from({ length: V }, () => Math.floor(r.normal() * 3));
    const { sampler } = makeSampler(logits);
    expect((await runStep(sampler, 0, 0))[0]).toBe(argmaxLowest(logits));
  });

  it('at V = 262,144, with ties across the whole range and all values equal', async () => {
    const V = 262144;
    const r = seeded(3);
    const logits = r.array(V, 3);
    const { sampler, logitsBuffer } = makeSampler(logits);
    expect((await runStep(sampler, 0, 0))[0]).toBe(argmaxLowest(logits));
    logits[262143] = 100;
    logits[70000] = 100;
    logits[200001] = 100;
    writeBuffer(ctx, logitsBuffer, 0, logits);
    expect((await runStep(sampler, 0, 0))[0]).toBe(70000);
    logits.fill(0.5);
    writeBuffer(ctx, logitsBuffer, 0, logits);
    expect((await runStep(sampler, 0, 0))[0]).toBe(0);
  });

  it('applies logit bias, penalties and a folded softcap before the argmax', async () => {
    const r = seeded(8);
    const z = r.array(500, 40); // raw head output; softcap 30 folded into the sampler
    const { sampler } = makeSampler(z, { softcap: 30 });
    const capped = Float32Array.from(z);
    softcapInPlace(capped, 30);
    const top = argmaxLowest(capped);
    const history = countTokens([top, top, 17]);
    sampler.resetHistory([top, top, 17]);
    for (const p of [
      params({ temperature: 0 }),
      params({ temperature: 0, logitBias: { 3: 25, 400: -5 } }),
      params({ temperature: 0, frequencyPenalty: 20 }),
      params({ temperature: 0, repetitionPenalty: 100, presencePenalty: 0.5 }),
    ]) {
      sampler.setParams(p);
      expect((await runStep(sampler, 0, 0))[0]).toBe(sampleCpu(capped, p, history));
    }
  });
});

describe('GPU sampler: candidates', () => {
  const cases = [
    { name: 'distinct values, k 64', V: 1000, topK: 64, levels: 0 },
    { name: 'k = V', V: 50, topK: 0, levels: 0 },
    { name: 'k > V', V: 40, topK: 64, levels: 0 },
    { name: 'some of the ties at the k-th value (ties <= TIE_CAP)', V: 3000, topK: 10, levels: 12 },
    { name: 'some of the ties at the k-th value, k 700', V: 3000, topK: 700, levels: 30 },
    { name: 'all 100 ties at the k-th value', V: 3000, topK: 300, levels: -1 },
    { name: 'V 262,144, top_k disabled (capped)', V: 262144, topK: 0, levels: 0 },
    { name: 'V 262,144, > TIE_CAP ties at the k-th value', V: 262144, topK: 64, levels: 50 },
  ];
  it.each(cases)('$name', async ({ V, topK, levels }) => {
    const r = seeded(V + topK + levels);
    // levels > 0: few distinct values in random places; -1: blocks of 100 equal values, k ends at a block's end.
    const value = (i: number) => (levels > 0 ? Math.floor(r.next() * levels) / 4 : levels < 0 ? Math.floor(i / 100) / 4 : r.normal() * 5);
    const logits = Float32Array.from({ length: V }, (_, i) => value(i));
    const { sampler } = makeSampler(logits);
    const p = params({ temperature: 1.3, topK, topP: 0.9, seed: 5 });
    sampler.setParams(p);
    const [id] = await runStep(sampler, p.seed, 0);
    const d = samplingDistribution(logits, p);
    const got = await readCandidates(sampler);
    expect(got.k).toBe(d.candidates.length);
    expect([...got.ids]).toEqual([...d.candidates]);
    expect(got.kept).toBe(d.kept);
    for (let j = 0; j < got.k; j++) expect(Math.abs(got.probs[j] - (j < d.kept ? d.probs[j] : 0))).toBeLessThan(2e-6);
    expect(id).toBe(sampleCpu(logits, p, NO_HISTORY, () => counterUniform(p.seed, 0)));
  });

  it('caps the candidates at the documented maximum', () => {
    expect(SAMPLER_MAX_CANDIDATES).toBe(MAX_SAMPLING_CANDIDATES);
  });
});

describe('GPU sampler: distribution', () => {
  const DRAWS = 4096;
  const V = 120;
  const r = seeded(2024);
  const logits = r.array(V, 2);
  const historyIds = [3, 3, 3, 17, 17, 42, 99, 100, 100, 100, 100];
  const history = countTokens(historyIds);
  // Make the penalised tokens matter: put them among the likeliest.
  for (const id of history.keys()) logits[id] = 3 + r.next();
  const cases: { name: string; p: Partial<SamplingParams>; history?: boolean; softcap?: number }[] = [
    { name: 'temperature only', p: { temperature: 0.7, topK: 0, topP: 1 } },
    { name: 'top-k', p: { temperature: 1, topK: 10, topP: 1 } },
    { name: 'top-p', p: { temperature: 1.2, topK: 0, topP: 0.8 } },
    { name: 'min-p', p: { temperature: 1, topK: 0, topP: 1, minP: 0.08 } },
    { name: 'penalties with a history', p: { temperature: 1, topK: 0, topP: 1, repetitionPenalty: 1.3, presencePenalty: 0.4, frequencyPenalty: 0.2 }, history: true },
    { name: 'logit bias', p: { temperature: 1, topK: 0, topP: 1, logitBias: { 5: 4, 6: -30, 7: 2.5, 119: 3 } } },
    { name: 'Gemma defaults', p: {} },
    { name: 'everything, softcap folded in', p: { temperature: 0.9, topK: 40, topP: 0.95, minP: 0.02, repetitionPenalty: 1.1, presencePenalty: 0.3, logitBias: { 8: 2 } }, history: true, softcap: 2.5 },
  ];
  it.each(cases)('$name: 4096 draws match the CPU draw by draw and pass chi-square at p = 0.001', async (c) => {
    const { sampler } = makeSampler(logits, { draws: DRAWS, softcap: c.softcap ?? 0 });
    const p = params({ seed: 777, ...c.p });
    sampler.setParams(p);
    sampler.resetHistory(c.history ? historyIds : []);
    const cpuLogits = Float32Array.from(logits);
    if (c.softcap) softcapInPlace(cpuLogits, c.softcap);
    const h = c.history ? history : NO_HISTORY;
    const step0 = 1000;
    const gpu = await runStep(sampler, p.seed, step0, DRAWS);
    const { mismatches, unexplained, d } = compareDraws(gpu, cpuLogits, p, h, p.seed, step0);
    expect(unexplained).toBe(0);
    expect(mismatches).toBeLessThanOrEqual(2);
    const chi = chiSquare(gpu, d.candidates, d.probs);
    expect(chi.outside).toBe(0); // never a token outside the kept set
    expect(chi.p).toBeGreaterThan(0.001);
    // Same seed and steps again: the same ids.
    expect([...(await runStep(sampler, p.seed, step0, DRAWS))]).toEqual([...gpu]);
  });
});

describe('GPU sampler: steps, seeds and history', () => {
  it('draws from (seed, step) of the Step uniform: same pair, same id; each equals the CPU draw', async () => {
    const r = seeded(99);
    const logits = r.array(200, 1.5);
    const { sampler } = makeSampler(logits);
    const p = params({ seed: 31 });
    sampler.setParams(p);
    const seen = new Set<number>();
    for (let step = 0; step < 12; step++) {
      for (const seed of [31, 32]) {
        const [id] = await runStep(sampler, seed, step);
        expect(id).toBe(sampleCpu(logits, p, NO_HISTORY, () => counterUniform(seed, step)));
        seen.add(id);
      }
    }
    expect(seen.size).toBeGreaterThan(3);
    const [a] = await runStep(sampler, 7, 5);
    const [b] = await runStep(sampler, 7, 5);
    expect(a).toBe(b);
  });

  it('counts accepted tokens on the GPU, so penalties follow the history without readback', async () => {
    const r = seeded(4);
    const logits = r.array(300, 0.3);
    // Values and penalties chosen so that no two adjusted logits come within 1e-4 of each other on the way.
    for (const [id, v] of [[10, 2], [11, 1.9137], [12, 1.8291], [13, 1.7713]] as const) logits[id] = v;
    for (const p of [
      params({ temperature: 0, frequencyPenalty: 0.1419 }),
      params({ temperature: 0.8, topK: 20, presencePenalty: 0.5, repetitionPenalty: 1.2, seed: 3 }),
    ]) {
      const { sampler } = makeSampler(logits, { autoAccept: true });
      sampler.setParams(p);
      sampler.resetHistory([12]);
      const cpuHistory = countTokens([12]);
      const ops = sampler.ops();
      writeStep(ctx, stepBuffer, { startPos: 0, step: 0, seed: p.seed });
      const expected: number[] = [];
      const got: number[] = [];
      for (let step = 0; step < 8; step++) {
        writeStep(ctx, stepBuffer, { startPos: 0, step, seed: p.seed });
        submitOps(ctx, ops); // same bound ops every step
        got.push((await readU32(ctx, sampler.outputToken, 0, 1))[0]);
        const id = sampleCpu(logits, p, cpuHistory, () => counterUniform(p.seed, step));
        if (p.temperature === 0) {
          const v = adjustLogits(logits, p, cpuHistory);
          const best = v[id];
          v[id] = -Infinity;
          expect(best - v[argmaxLowest(v)]).toBeGreaterThan(1e-4);
        }
        expected.push(id);
        (cpuHistory as Map<number, number>).set(id, (cpuHistory.get(id) ?? 0) + 1);
      }
      expect(got).toEqual(expected);
      expect(new Set(got).size).toBeGreaterThan(1);
      const counts = await readU32(ctx, sampler.counts, 0, 300);
      for (const [id, c] of cpuHistory) expect(counts[id]).toBe(c);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(9);
      sampler.resetHistory();
      expect((await readU32(ctx, sampler.counts, 0, 300)).every((c) => c === 0)).toBe(true);
    }
  });

  it('switches parameters without rebinding: greedy, sampling, bias on and off', async () => {
    const r = seeded(12);
    const logits = r.array(64, 2);
    const { sampler } = makeSampler(logits);
    const greedyOps = sampler.ops();
    for (const p of [
      params({ temperature: 0.5, topK: 8, seed: 1 }),
      params({ temperature: 0, logitBias: { 9: 50 } }),
      params({ temperature: 0 }),
      params({ temperature: 1, topK: 0, topP: 0.5, logitBias: { 2: 10, 3: 10 }, seed: 1 }),
      params({ temperature: 1, topK: 0, topP: 0.5, seed: 1 }),
    ]) {
      sampler.setParams(p);
      expect(sampler.ops() === greedyOps).toBe(p.temperature === 0);
      expect(sampler.ops().length).toBe(p.temperature === 0 ? 2 : 8); // dispatches per token
      expect((await runStep(sampler, p.seed, 4))[0]).toBe(sampleCpu(logits, p, NO_HISTORY, () => counterUniform(p.seed, 4)));
    }
  });

  it('reads its row at logitsOffset of a multi-row logits buffer', async () => {
    const V = 333;
    const r = seeded(21);
    const rows = r.array(3 * V, 2);
    const row = rows.subarray(2 * V);
    const sampler = createGpuSampler(ctx, { logits: upload(ctx, rows), vocabSize: V, logitsOffset: 2 * V, step: stepBuffer, autoAccept: false });
    for (const p of [params({ temperature: 0 }), params({ seed: 8 })]) {
      sampler.setParams(p);
      expect((await runStep(sampler, p.seed, 2))[0]).toBe(sampleCpu(row, p, NO_HISTORY, () => counterUniform(p.seed, 2)));
    }
  });

  it('rejects parameters it cannot represent', () => {
    const { sampler } = makeSampler(new Float32Array(10));
    expect(() => sampler.setParams({ ...params({}), logitBias: { 10: 1 } })).toThrow(RangeError);
    expect(() => sampler.setParams({ ...params({}), topP: 0 })).toThrow(RangeError);
    expect(() => sampler.resetHistory([10])).toThrow(RangeError);
  });
});
