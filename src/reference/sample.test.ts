// The CPU sampler stage by stage, with hand-computed cases, and parameter validation.
import { describe, expect, it } from 'vitest';
import { DEFAULT_SAMPLING_PARAMS, SamplingParamsError, resolveSamplingParams, type SamplingParams } from '../runtime/sampling-params.js';
import {
  MAX_SAMPLING_CANDIDATES,
  adjustLogits,
  argmaxLowest,
  countTokens,
  counterUniform,
  drawFromCumulative,
  effectiveTopK,
  sampleCpu,
  samplingDistribution,
  topKIndices,
} from './sample.js';

const params = (p: Partial<SamplingParams>) => resolveSamplingParams({ topK: 0, topP: 1, ...p });
const near = (a: ArrayLike<number>, b: number[]) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < b.length; i++) expect(a[i]).toBeCloseTo(b[i], 12);
};

describe('sampling params', () => {
  it('defaults to Gemma 4 recommendations', () => {
    const p = resolveSamplingParams();
    expect(p).toEqual({ ...DEFAULT_SAMPLING_PARAMS });
    expect([p.temperature, p.topK, p.topP, p.minP, p.repetitionPenalty]).toEqual([1, 64, 0.95, 0, 1]);
    expect(resolveSamplingParams({ temperature: 0.2, topK: undefined }).topK).toBe(64);
  });

  it.each([
    ['temperature', -0.1],
    ['temperature', Infinity],
    ['temperature', NaN],
    ['topK', -1],
    ['topK', 2.5],
    ['topP', 0],
    ['topP', 1.01],
    ['minP', -0.01],
    ['minP', 2],
    ['repetitionPenalty', 0],
    ['repetitionPenalty', -1],
    ['presencePenalty', NaN],
    ['frequencyPenalty', Infinity],
    ['seed', -1],
    ['seed', 2 ** 32],
    ['seed', 1.5],
    ['logitBias', { '-1': 2 }],
    ['logitBias', { abc: 2 }],
    ['logitBias', { 5: NaN }],
    ['logitBias', [1, 2]],
  ] as const)('%s = %o is rejected with a typed error', (field, value) => {
    let error: unknown;
    try {
      resolveSamplingParams({ [field]: value } as Partial<SamplingParams>);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SamplingParamsError);
    expect((error as SamplingParamsError).field).toBe(field);
    expect((error as SamplingParamsError).code).toBe('INVALID_SAMPLING_PARAMS');
  });

  it('bounds logit-bias ids by the vocabulary when it is known', () => {
    expect(() => resolveSamplingParams({ logitBias: { 99: 1 } }, 100)).not.toThrow();
    expect(() => resolveSamplingParams({ logitBias: { 100: 1 } }, 100)).toThrow(SamplingParamsError);
  });

  it('caps top-k at the candidate maximum and the vocabulary', () => {
    expect(effectiveTopK({ topK: 0 }, 262144)).toBe(MAX_SAMPLING_CANDIDATES);
    expect(effectiveTopK({ topK: 5000 }, 262144)).toBe(MAX_SAMPLING_CANDIDATES);
    expect(effectiveTopK({ topK: 64 }, 262144)).toBe(64);
    expect(effectiveTopK({ topK: 64 }, 10)).toBe(10);
  });
});

describe('logit bias and penalties', () => {
  it('adds the bias first, then penalises tokens of the history', () => {
    const p = params({ logitBias: { 2: 1 }, repetitionPenalty: 2 });
    // token 0: 2 / 2 = 1; token 1: -2 * 2 = -4; token 2: (1 + 1) / 2 = 1; token 3 not in the history.
    near(adjustLogits([2, -2, 1, 7], p, countTokens([0, 1, 2, 2])), [1, -4, 1, 7]);
  });

  it('applies presence once and frequency per occurrence (OpenAI)', () => {
    const p = params({ presencePenalty: 0.5, frequencyPenalty: 0.25 });
    near(adjustLogits([2, 2, 2], p, countTokens([0, 0, 0, 1])), [2 - 0.75 - 0.5, 2 - 0.25 - 0.5, 2]);
  });

  it('treats a zero logit as non-positive for the repetition penalty and NaN as -inf', () => {
    const p = params({ repetitionPenalty: 3 });
    near(adjustLogits([0, -1], p, countTokens([0, 1])), [0, -3]);
    expect(adjustLogits([NaN, 1], p)[0]).toBe(-Infinity);
  });

  it('ignores the history when no penalty is set', () => {
    near(adjustLogits([2, -2], params({}), countTokens([0, 1])), [2, -2]);
  });
});

describe('greedy', () => {
  it('takes the largest adjusted logit, ties to the lowest id, without drawing', () => {
    const rng = () => {
      throw new Error('greedy must not draw');
    };
    expect(sampleCpu([1, 3, 3, 2], params({ temperature: 0 }), undefined, rng)).toBe(1);
    expect(sampleCpu([1, 3, 3, 2], params({ temperature: 0, logitBias: { 3: 1.5 } }), undefined, rng)).toBe(3);
    expect(sampleCpu([1, 3, 3, 2], params({ temperature: 0, presencePenalty: 1 }), countTokens([1]), rng)).toBe(2);
    expect(argmaxLowest([-Infinity, -Infinity])).toBe(0);
  });
});

describe('temperature, top-k, softmax', () => {
  const L = [0, Math.log(2), Math.log(4)];
  it('is the softmax of logits / T over the candidates in (logit desc, id asc) order', () => {
    const d = samplingDistribution(L, params({ temperature: 1 }));
    expect([...d.candidates]).toEqual([2, 1, 0]);
    near(d.probs, [4 / 7, 2 / 7, 1 / 7]);
    near(samplingDistribution(L, params({ temperature: 0.5 })).probs, [16 / 21, 4 / 21, 1 / 21]);
  });

  it('keeps the first k in (value desc, id asc) order, duplicates included', () => {
    const d = samplingDistribution([1, 5, 3, 5, 3, 3], params({ topK: 3 }));
    expect([...d.candidates]).toEqual([1, 3, 2]);
    expect(d.kept).toBe(3);
    near(d.probs, [1 / (2 + Math.exp(-2)), 1 / (2 + Math.exp(-2)), Math.exp(-2) / (2 + Math.exp(-2))]);
  });

  it('topKIndices agrees with a full sort on data with many duplicates', () => {
    let s = 7;
    const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 8) / 2 ** 24;
    for (let t = 0; t < 20; t++) {
      const v = Float64Array.from({ length: 500 }, () => Math.floor(rnd() * 20));
      const k = 1 + Math.floor(rnd() * 60);
      const sorted = [...v.keys()].sort((a, b) => v[b] - v[a] || a - b).slice(0, k);
      expect([...topKIndices(v, k)]).toEqual(sorted);
    }
  });
});

describe('top-p, min-p, renormalisation, draw', () => {
  const L = [Math.log(0.125), Math.log(0.5), Math.log(0.125), Math.log(0.25)]; // sorted: 1, 3, 0, 2
  it('top-p keeps the shortest prefix reaching top_p', () => {
    expect(samplingDistribution(L, params({ topP: 0.5 })).kept).toBe(1);
    expect(samplingDistribution(L, params({ topP: 0.7 })).kept).toBe(2);
    expect(samplingDistribution(L, params({ topP: 0.75 })).kept).toBe(2);
    expect(samplingDistribution(L, params({ topP: 0.8 })).kept).toBe(3);
    expect(samplingDistribution(L, params({ topP: 1 })).kept).toBe(4);
  });

  it('min-p keeps tokens with p >= min_p * p_max', () => {
    expect(samplingDistribution(L, params({ minP: 0.25 })).kept).toBe(4);
    expect(samplingDistribution(L, params({ minP: 0.3 })).kept).toBe(2);
    expect(samplingDistribution(L, params({ minP: 1 })).kept).toBe(1);
    expect(samplingDistribution(L, params({ minP: 0.3, topP: 0.5 })).kept).toBe(1);
  });

  it('renormalises the kept candidates and draws by inverse CDF', () => {
    const d = samplingDistribution(L, params({ topP: 0.7 }));
    expect([...d.candidates.subarray(0, d.kept)]).toEqual([1, 3]);
    near(d.probs, [2 / 3, 1 / 3]);
    const p = params({ topP: 0.7 });
    expect(sampleCpu(L, p, undefined, () => 0)).toBe(1);
    expect(sampleCpu(L, p, undefined, () => 0.66)).toBe(1);
    expect(sampleCpu(L, p, undefined, () => 0.67)).toBe(3);
    expect(sampleCpu(L, p, undefined, () => 0.999999)).toBe(3);
    expect(drawFromCumulative([1, 1, 2], 0.5)).toBe(2); // a zero-weight entry is never drawn
  });

  it('applies temperature before top-p', () => {
    // T = 0.5 squares the odds: 0.5:0.25:0.125:0.125 -> 16:4:1:1 (of 22): the first alone has 0.727.
    expect(samplingDistribution(L, params({ temperature: 0.5, topP: 0.72 })).kept).toBe(1);
    expect(samplingDistribution(L, params({ temperature: 0.5, topP: 0.73 })).kept).toBe(2);
  });

  it('matches the exact probabilities empirically', () => {
    const p = params({ topK: 3, temperature: 0.8, seed: 9 });
    const d = samplingDistribution(L, p);
    const counts = new Map<number, number>();
    const n = 20000;
    for (let s = 0; s < n; s++) {
      const id = sampleCpu(L, p, undefined, () => counterUniform(p.seed, s));
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    for (let j = 0; j < d.kept; j++) expect(Math.abs((counts.get(d.candidates[j]) ?? 0) / n - d.probs[j])).toBeLessThan(0.015);
  });
});

describe('counterUniform', () => {
  it('is deterministic, in [0, 1), with 24-bit steps, and roughly uniform', () => {
    expect(counterUniform(1, 2)).toBe(counterUniform(1, 2));
    expect(counterUniform(1, 2)).not.toBe(counterUniform(1, 3));
    expect(counterUniform(1, 2)).not.toBe(counterUniform(2, 2));
    let sum = 0;
    let bad = 0;
    const bins = new Array(10).fill(0);
    for (let i = 0; i < 100000; i++) {
      const u = counterUniform(12345, i);
      if (!(u >= 0 && u < 1) || !Number.isInteger(u * 2 ** 24)) bad++;
      sum += u;
      bins[Math.floor(u * 10)]++;
    }
    expect(bad).toBe(0);
    expect(Math.abs(sum / 100000 - 0.5)).toBeLessThan(0.005);
    for (const b of bins) expect(Math.abs(b - 10000)).toBeLessThan(500);
  });
});
