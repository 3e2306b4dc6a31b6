// The GPU sampler: logits [V] f32 -> one u32 token id, with the exact semantics of src/reference/sample.ts
// (bias -> penalties -> greedy | temperature -> top-k -> softmax -> top-p -> min-p -> renormalise -> draw).
// Greedy: 2 dispatches (argmax partials, final). Sampling: 8 (radix select of the k-th largest key in 3 levels of
// histogram + select, compaction, draw). Parameters live in a uniform and a dense bias buffer, the history in a GPU count buffer
// updated by the final kernel, the RNG counter in the Step uniform: ops are bound once, nothing is read back.
import sampleArgmaxFinalWgsl from '../../shaders/sample-argmax-final.wgsl?raw';
import sampleArgmaxWgsl from '../../shaders/sample-argmax.wgsl?raw';
import sampleBestWgsl from '../../shaders/lib/sample-best.wgsl?raw';
import sampleCompactWgsl from '../../shaders/sample-compact.wgsl?raw';
import sampleDrawWgsl from '../../shaders/sample-draw.wgsl?raw';
import sampleHistogramWgsl from '../../shaders/sample-histogram.wgsl?raw';
import sampleRefineWgsl from '../../shaders/sample-refine.wgsl?raw';
import sampleSelectWgsl from '../../shaders/sample-select.wgsl?raw';
import sampleCommonWgsl from '../../shaders/lib/sample-common.wgsl?raw';
import sampleLogitWgsl from '../../shaders/lib/sample-logit.wgsl?raw';
import { BufferUsage, createStorageBuffer, createUniformBuffer, packWords, writeBuffer } from '../gpu/buffers.js';
import type { GpuContext } from '../gpu/context.js';
import { createBindGroup, fixedOp, getPipeline, type BoundOp, type KernelSource } from '../gpu/kernel.js';
import { requireInt } from './checks.js';
import { STEP_WGSL } from './step.js';

/** Most candidates a sampling step considers (top_k = 0 or > this is capped); = MAX_SAMPLING_CANDIDATES. */
export const SAMPLER_MAX_CANDIDATES = 1024;

/** Word offsets in GpuSampler.work (mirrors shaders/lib/sample-common.wgsl). */
export const SAMPLER_LAYOUT = {
  statePrefix: 8448,
  stateRank: 8449,
  /** k: how many sorted candidates the last sampling step wrote. */
  outCount: 11012,
  /** How many of them survived top-p and min-p. */
  outKept: 11013,
  /** [k] candidate ids, best first. */
  outIds: 11014,
  /** [k] f32: final probability of each candidate (0 beyond outKept). */
  outProbs: 12038,
  words: 13062,
} as const;

const WG = 256;
const MAX_GROUPS = 256; // PARTIALS holds 256 (key, id) pairs
// Elements per invocation of the full-vocabulary passes: V = 262,144 -> 64 workgroups. Fewer, fatter workgroups
// keep per-workgroup costs (workgroup-memory zeroing, partial results) small; SwiftShader pays a lot for each.
const PER_THREAD = 16;
const FLAG_PENALTY = 1;
const FLAG_BIAS = 2;
const FLAG_SOFTCAP = 4;
const FLAG_ACCEPT = 8;

const lib = sampleCommonWgsl + '\n' + sampleLogitWgsl + '\n';
export const SAMPLE_ARGMAX = { name: 'sample-argmax', code: lib + sampleBestWgsl + '\n' + sampleArgmaxWgsl } as const;
export const SAMPLE_ARGMAX_FINAL = { name: 'sample-argmax-final', code: sampleCommonWgsl + '\n' + sampleBestWgsl + '\n' + sampleArgmaxFinalWgsl } as const;
export const SAMPLE_HISTOGRAM = { name: 'sample-histogram', code: lib + sampleHistogramWgsl } as const;
export const SAMPLE_REFINE = { name: 'sample-refine', code: lib + sampleRefineWgsl } as const;
export const SAMPLE_SELECT = { name: 'sample-select', code: sampleCommonWgsl + '\n' + sampleSelectWgsl } as const;
export const SAMPLE_COMPACT = { name: 'sample-compact', code: lib + sampleCompactWgsl } as const;
export const SAMPLE_DRAW = { name: 'sample-draw', code: STEP_WGSL + '\n' + lib + sampleDrawWgsl } as const;

/** What the GPU sampler needs of runtime's SamplingParams (the seed goes into the Step uniform instead). */
export interface GpuSamplingParams {
  /** 0 = greedy (argmax, ties to the lowest id); otherwise logits are divided by it. */
  readonly temperature: number;
  /** Keep the k most likely tokens; 0 = disabled (still capped at 1024 candidates, MAX_SAMPLING_CANDIDATES in reference/sample.ts). */
  readonly topK: number;
  /** Nucleus: keep the shortest most-likely prefix whose probability reaches top_p; in (0, 1], 1 = off. */
  readonly topP: number;
  /** Keep tokens whose probability is at least min_p times the most likely one's; in [0, 1], 0 = off. */
  readonly minP: number;
  /** llama.cpp style, for tokens in the history: positive logits divided by it, others multiplied; 1 = off. */
  readonly repetitionPenalty: number;
  /** OpenAI style: subtracted once from the logit of every token in the history. */
  readonly presencePenalty: number;
  /** OpenAI style: subtracted count times from the logit of every token in the history. */
  readonly frequencyPenalty: number;
  /** Added to the logits of the given token ids before anything else. */
  readonly logitBias: Readonly<Record<number, number>>;
}

export interface GpuSamplerOptions {
  /** Logits, f32; the sampler reads [logitsOffset, logitsOffset + vocabSize). */
  readonly logits: GPUBuffer;
  readonly vocabSize: number;
  /** The Step uniform (shaders/lib/step.wgsl): the draw uses counter_uniform(seed, step). */
  readonly step: GPUBuffer;
  /** Element offset of the logits row (a multi-row head output). Default 0. */
  readonly logitsOffset?: number;
  /** Final logit softcap applied while reading (the LM head may then skip it); 0 (default) = logits are final. */
  readonly softcap?: number;
  /** Count each sampled token into the history (counts buffer) in the final kernel. Default true. */
  readonly autoAccept?: boolean;
  /** Tests and benchmarks only: draws per sampling step (counters step .. step + draws - 1) into outputToken. */
  readonly draws?: number;
}

export interface GpuSampler {
  /** u32 [draws]: the sampled token id at offset 0 (copy 4 bytes to a StagingReader, or bind it for the gather). */
  readonly outputToken: GPUBuffer;
  /** u32 [vocabSize]: occurrences of each token in the history the penalties see. */
  readonly counts: GPUBuffer;
  /** Scratch and candidate outputs, SAMPLER_LAYOUT. */
  readonly work: GPUBuffer;
  readonly vocabSize: number;
  /** Writes the parameters (uniform, changed bias entries); no rebinding. Call ops() again afterwards. */
  setParams(params: GpuSamplingParams): void;
  /** The bound ops for the current parameters (greedy or sampling); record them after the LM head. */
  ops(): readonly BoundOp[];
  /** Replaces the history by `tokens` (e.g. [] at the start of a request, or the prompt to penalise it too). */
  resetHistory(tokens?: Iterable<number>): void;
  destroy(): void;
}

export function createGpuSampler(ctx: GpuContext, o: GpuSamplerOptions): GpuSampler {
  const V = o.vocabSize;
  const offset = o.logitsOffset ?? 0;
  const draws = o.draws ?? 1;
  const softcap = o.softcap ?? 0;
  requireInt('sample', 'vocabSize', V);
  requireInt('sample', 'logitsOffset', offset, 0);
  requireInt('sample', 'draws', draws);
  if (!(softcap >= 0 && Number.isFinite(softcap))) throw new RangeError(`sample: softcap must be finite and >= 0, got ${softcap}`);
  if (o.logits.size < (offset + V) * 4) throw new RangeError(`sample: logits buffer has ${o.logits.size} bytes, needs ${(offset + V) * 4}`);
  const groups = Math.max(1, Math.min(MAX_GROUPS, Math.ceil(V / (WG * PER_THREAD))));
  const autoAccept = o.autoAccept ?? true;

  const params = ctx.createBuffer({ label: 'sample params', size: 64, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST });
  const counts = createStorageBuffer(ctx, V * 4, 'sample counts');
  const bias = createStorageBuffer(ctx, V * 4, 'sample bias');
  const work = createStorageBuffer(ctx, SAMPLER_LAYOUT.words * 4, 'sample work');
  const outputToken = createStorageBuffer(ctx, draws * 4, 'sample token');
  const levels = [0, 1, 2].map((level) => createUniformBuffer(ctx, [level], 'u', `sample level ${level}`));

  const bind = (source: KernelSource, resources: GPUBuffer[], name: string, grid: number) => {
    const pipeline = getPipeline(ctx, source);
    return fixedOp(name, pipeline, createBindGroup(ctx, pipeline, resources, name), [grid]);
  };
  // Op lists are built on first use: a greedy-only session never compiles the sampling pipelines.
  let greedyOps: BoundOp[] | undefined;
  let sampleOps: BoundOp[] | undefined;
  const buildGreedy = (): BoundOp[] => [
    bind(SAMPLE_ARGMAX, [params, o.logits, counts, bias, work], 'sample-argmax', groups),
    bind(SAMPLE_ARGMAX_FINAL, [params, counts, work, outputToken], 'sample-argmax-final', 1),
  ];
  const buildSample = (): BoundOp[] => [
    bind(SAMPLE_HISTOGRAM, [params, o.logits, counts, bias, work], 'sample-histogram', groups),
    bind(SAMPLE_SELECT, [params, levels[0], work], 'sample-select-0', 1),
    ...[1, 2].flatMap((l) => [
      bind(SAMPLE_REFINE, [params, levels[l], o.logits, counts, bias, work], `sample-refine-${l}`, groups),
      bind(SAMPLE_SELECT, [params, levels[l], work], `sample-select-${l}`, 1),
    ]),
    bind(SAMPLE_COMPACT, [params, o.logits, counts, bias, work], 'sample-compact', groups),
    bind(SAMPLE_DRAW, [params, o.step, o.logits, counts, bias, work, outputToken], 'sample-draw', 1),
  ];

  let greedy = true;
  let biasMirror: Float32Array | undefined;
  let biasIds = new Set<number>();

  const writeBias = (entries: [number, number][]) => {
    const ids = new Set(entries.filter(([, b]) => b !== 0).map(([id]) => id));
    if (ids.size === 0 && biasIds.size === 0) return;
    biasMirror ??= new Float32Array(V);
    let lo = Infinity;
    let hi = -1;
    for (const id of biasIds) {
      biasMirror[id] = 0;
      lo = Math.min(lo, id);
      hi = Math.max(hi, id);
    }
    for (const [id, b] of entries) {
      if (b === 0) continue;
      biasMirror[id] = b;
      lo = Math.min(lo, id);
      hi = Math.max(hi, id);
    }
    biasIds = ids;
    writeBuffer(ctx, bias, lo * 4, biasMirror.subarray(lo, hi + 1));
  };

  const sampler: GpuSampler = {
    outputToken,
    counts,
    work,
    vocabSize: V,
    setParams(p) {
      const bad = (name: string, value: unknown) => new RangeError(`sample: invalid ${name} ${String(value)}`);
      if (!(p.temperature >= 0 && Number.isFinite(p.temperature))) throw bad('temperature', p.temperature);
      if (!(Number.isInteger(p.topK) && p.topK >= 0)) throw bad('topK', p.topK);
      if (!(p.topP > 0 && p.topP <= 1)) throw bad('topP', p.topP);
      if (!(p.minP >= 0 && p.minP <= 1)) throw bad('minP', p.minP);
      if (!(p.repetitionPenalty > 0 && Number.isFinite(p.repetitionPenalty))) throw bad('repetitionPenalty', p.repetitionPenalty);
      if (!Number.isFinite(p.presencePenalty)) throw bad('presencePenalty', p.presencePenalty);
      if (!Number.isFinite(p.frequencyPenalty)) throw bad('frequencyPenalty', p.frequencyPenalty);
      const entries = Object.entries(p.logitBias).map(([key, b]) => [Number(key), b] as [number, number]);
      for (const [id, b] of entries) {
        if (!Number.isInteger(id) || id < 0 || id >= V) throw bad('logitBias id', id);
        if (!Number.isFinite(b)) throw bad('logitBias value', b);
      }
      writeBias(entries);
      const penalties = p.repetitionPenalty !== 1 || p.presencePenalty !== 0 || p.frequencyPenalty !== 0;
      const flags =
        (penalties ? FLAG_PENALTY : 0) | (biasIds.size ? FLAG_BIAS : 0) | (softcap > 0 ? FLAG_SOFTCAP : 0) | (autoAccept ? FLAG_ACCEPT : 0);
      const k = Math.min(p.topK > 0 ? p.topK : SAMPLER_MAX_CANDIDATES, SAMPLER_MAX_CANDIDATES, V);
      greedy = p.temperature === 0;
      const words = [
        V,
        k,
        flags,
        offset,
        softcap || 1,
        greedy ? 0 : 1 / p.temperature,
        p.topP,
        p.minP > 0 ? Math.log(p.minP) : -3e38,
        p.repetitionPenalty,
        p.presencePenalty,
        p.frequencyPenalty,
        groups,
        draws,
      ];
      ctx.device.queue.writeBuffer(params, 0, packWords(words, 'uuuufffffffuu'));
    },
    ops: () => (greedy ? (greedyOps ??= buildGreedy()) : (sampleOps ??= buildSample())),
    resetHistory(tokens = []) {
      const c = new Uint32Array(V);
      for (const t of tokens) {
        if (!Number.isInteger(t) || t < 0 || t >= V) throw new RangeError(`sample: history token ${t} is outside [0, ${V})`);
        c[t]++;
      }
      writeBuffer(ctx, counts, 0, c);
    },
    destroy() {
      for (const b of [params, counts, bias, work, outputToken, ...levels]) b.destroy();
    },
  };
  sampler.setParams({
    temperature: 0,
    topK: 0,
    topP: 1,
    minP: 0,
    repetitionPenalty: 1,
    presencePenalty: 0,
    frequencyPenalty: 0,
    logitBias: {},
  });
  return sampler;
}
