// GemmaConfig: the whole Gemma 4 text-decoder shape read from GGUF metadata (spec gguf-gemma4.md §3.1).
// No model size is written here: E2B, E4B and the tiny test models are all data.
import { GgufError } from '../gguf/errors.js';
import {
  getBoolArray,
  getString,
  getU32,
  getU32OrArray,
  optF32,
  optU32,
} from '../gguf/metadata.js';
import type { GgufHeader } from '../gguf/types.js';

export type LayerType = 'sliding' | 'full';

export interface LayerConfig {
  readonly index: number;
  readonly type: LayerType;
  /** Head dimension of this layer (key_length_swa for sliding, key_length for full). */
  readonly headDim: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  /** Inner width of this layer's GeGLU MLP. */
  readonly ffnWidth: number;
  /** True when this layer computes K/V and writes its own cache. */
  readonly ownsKv: boolean;
  /** Layer whose KV cache this layer reads (itself when ownsKv). */
  readonly kvSourceLayer: number;
  /** Attention window in positions (inclusive of self) for sliding layers; undefined for full layers. */
  readonly window: number | undefined;
  readonly ropeBase: number;
  /**
   * RoPE inverse frequencies, headDim/2 entries: base^(-2j/ropeDim) / freqFactor[j] (f32, as llama.cpp).
   * Full layers divide by rope_freqs (1e30 => not rotated: "proportional" RoPE).
   */
  readonly ropeInvFreq: Float32Array;
}

export interface GemmaConfig {
  readonly architecture: 'gemma4';
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly vocabSize: number;
  readonly contextLength: number;
  readonly rmsNormEps: number;
  readonly slidingWindow: number;
  /** Per-layer-embedding width P (0 = no per-layer embeddings). */
  readonly pleWidth: number;
  readonly numKvSharedLayers: number;
  /** First KV-shared layer F = numLayers - numKvSharedLayers. */
  readonly firstSharedLayer: number;
  /** Final logit softcap (0 = disabled). */
  readonly finalLogitSoftcap: number;
  /** sqrt(hiddenSize), applied to token embeddings (exact f32 value, as llama.cpp). */
  readonly embedScale: number;
  readonly layers: readonly LayerConfig[];
  /** Multiplier of the whole residual stream after each layer (1 when the file has no layer_output_scale). */
  readonly layerScalars: readonly number[];
}

/** Small tensors the config needs besides metadata (read and dequantized by the caller). */
export interface ConfigTensors {
  /** `rope_freqs.weight` ([key_length/2] f32), required when any full layer exists. */
  readonly ropeFreqs?: Float32Array;
  /** `blk.N.layer_output_scale.weight` per layer, undefined where absent. */
  readonly layerScalars?: readonly (number | undefined)[];
}

const PREFIX = 'gemma4.';

function bad(message: string, details: Record<string, unknown> = {}): GgufError {
  return new GgufError('BAD_CONFIG', message, details);
}

/** Reads and checks the Gemma 4 config; throws GgufError (MISSING_KEY, WRONG_KEY_TYPE, BAD_CONFIG). */
export function createGemmaConfig(header: GgufHeader, tensors: ConfigTensors = {}): GemmaConfig {
  const arch = getString(header, 'general.architecture');
  if (arch !== 'gemma4') {
    throw new GgufError('UNSUPPORTED_ARCHITECTURE', `general.architecture is "${arch}", not "gemma4": this runtime only runs Gemma 4 text models.`, { arch });
  }
  const numLayers = getU32(header, PREFIX + 'block_count');
  if (numLayers === 0) throw bad('gemma4.block_count is 0: the file has no decoder layers.');
  const hiddenSize = getU32(header, PREFIX + 'embedding_length');
  const contextLength = getU32(header, PREFIX + 'context_length');
  const ffn = getU32OrArray(header, PREFIX + 'feed_forward_length', numLayers);
  const heads = getU32OrArray(header, PREFIX + 'attention.head_count', numLayers);
  const kvHeads =
    header.metadata.has(PREFIX + 'attention.head_count_kv')
      ? getU32OrArray(header, PREFIX + 'attention.head_count_kv', numLayers)
      : heads;
  const headDimFull = getU32(header, PREFIX + 'attention.key_length');
  const valueDimFull = optU32(header, PREFIX + 'attention.value_length') ?? headDimFull;
  const headDimSwa = getU32(header, PREFIX + 'attention.key_length_swa');
  const valueDimSwa = optU32(header, PREFIX + 'attention.value_length_swa') ?? headDimSwa;
  if (headDimFull !== valueDimFull || headDimSwa !== valueDimSwa) {
    throw bad(
      `Key and value head dims differ (full ${headDimFull}/${valueDimFull}, sliding ${headDimSwa}/${valueDimSwa}); Gemma 4 requires them equal.`,
    );
  }
  const rmsNormEps = getF32Required(header, PREFIX + 'attention.layer_norm_rms_epsilon');
  const slidingWindow = getU32(header, PREFIX + 'attention.sliding_window');
  const pattern = getBoolArray(header, PREFIX + 'attention.sliding_window_pattern');
  if (pattern.length !== numLayers) {
    throw bad(
      `gemma4.attention.sliding_window_pattern has ${pattern.length} entries but block_count is ${numLayers}.`,
      { key: PREFIX + 'attention.sliding_window_pattern' },
    );
  }
  const numKvSharedLayers = optU32(header, PREFIX + 'attention.shared_kv_layers') ?? 0;
  if (numKvSharedLayers >= numLayers) {
    throw bad(`gemma4.attention.shared_kv_layers (${numKvSharedLayers}) must be smaller than block_count (${numLayers}).`);
  }
  const pleWidth = getU32(header, PREFIX + 'embedding_length_per_layer_input');
  const ropeBaseFull = optF32(header, PREFIX + 'rope.freq_base') ?? 10000;
  const ropeBaseSwa = optF32(header, PREFIX + 'rope.freq_base_swa') ?? 10000;
  const ropeDimFull = optU32(header, PREFIX + 'rope.dimension_count') ?? headDimFull;
  const ropeDimSwa = optU32(header, PREFIX + 'rope.dimension_count_swa') ?? ropeDimFull;
  const finalLogitSoftcap = optF32(header, PREFIX + 'final_logit_softcapping') ?? 30;
  const vocabSize = vocabSizeOf(header);

  for (const [name, value] of [
    ['embedding_length', hiddenSize],
    ['attention.key_length', headDimFull],
    ['attention.key_length_swa', headDimSwa],
    ['attention.sliding_window', slidingWindow],
  ] as const) {
    if (value === 0) throw bad(`gemma4.${name} is 0.`);
  }
  if (headDimFull % 2 || headDimSwa % 2) throw bad('Head dims must be even for half-split RoPE.');
  if (ropeDimSwa > headDimSwa || ropeDimFull > headDimFull) {
    throw bad(
      `RoPE dimension count (${ropeDimFull} full / ${ropeDimSwa} sliding) exceeds the head dim (${headDimFull} / ${headDimSwa}); ` +
        'set gemma4.rope.dimension_count_swa to the sliding head dim.',
    );
  }

  const firstSharedLayer = numLayers - numKvSharedLayers;
  const types: LayerType[] = pattern.map((sliding) => (sliding ? 'sliding' : 'full'));
  const hasFull = types.includes('full');
  const ropeFreqs = tensors.ropeFreqs;
  if (hasFull) {
    if (!ropeFreqs) {
      throw new GgufError(
        'MISSING_TENSOR',
        'rope_freqs.weight is missing; Gemma 4 files with full-attention layers carry it (proportional RoPE).',
        { tensor: 'rope_freqs.weight' },
      );
    }
    if (ropeFreqs.length !== headDimFull / 2) {
      throw bad(`rope_freqs.weight has ${ropeFreqs.length} entries; expected key_length/2 = ${headDimFull / 2}.`);
    }
  }

  const layers: LayerConfig[] = [];
  for (let i = 0; i < numLayers; i++) {
    const type = types[i];
    const headDim = type === 'sliding' ? headDimSwa : headDimFull;
    const ownsKv = i < firstSharedLayer;
    let kvSourceLayer = i;
    if (!ownsKv) {
      kvSourceLayer = types.lastIndexOf(type, firstSharedLayer - 1);
      if (kvSourceLayer < 0) {
        throw bad(`Layer ${i} is KV-shared (${type}) but no earlier layer of that type owns a KV cache.`, { layer: i });
      }
    }
    if (heads[i] === 0 || kvHeads[i] === 0 || heads[i] % kvHeads[i] !== 0) {
      throw bad(`Layer ${i}: head_count ${heads[i]} is not a positive multiple of head_count_kv ${kvHeads[i]}.`, { layer: i });
    }
    if (ffn[i] === 0) throw bad(`Layer ${i}: feed_forward_length is 0.`, { layer: i });
    const ropeBase = type === 'sliding' ? ropeBaseSwa : ropeBaseFull;
    const ropeDim = type === 'sliding' ? ropeDimSwa : ropeDimFull;
    layers.push({
      index: i,
      type,
      headDim,
      numHeads: heads[i],
      numKvHeads: kvHeads[i],
      ffnWidth: ffn[i],
      ownsKv,
      kvSourceLayer,
      window: type === 'sliding' ? slidingWindow : undefined,
      ropeBase,
      ropeInvFreq: ropeInverseFrequencies(headDim, ropeDim, ropeBase, type === 'full' ? ropeFreqs : undefined),
    });
  }
  for (const l of layers) {
    const src = layers[l.kvSourceLayer];
    if (src.numKvHeads !== l.numKvHeads || src.headDim !== l.headDim) {
      throw bad(`Layer ${l.index} shares the KV cache of layer ${src.index}, but their KV head shapes differ.`);
    }
  }

  const scalars = tensors.layerScalars ?? [];
  return {
    architecture: 'gemma4',
    hiddenSize,
    numLayers,
    vocabSize,
    contextLength,
    rmsNormEps,
    slidingWindow,
    pleWidth,
    numKvSharedLayers,
    firstSharedLayer,
    finalLogitSoftcap,
    embedScale: Math.fround(Math.sqrt(hiddenSize)),
    layers,
    layerScalars: layers.map((_, i) => scalars[i] ?? 1),
  };
}

/**
 * theta_j = p * invFreq[j]; invFreq[j] = base^(-2j/ropeDim) / factor[j] for j < ropeDim/2, else 0 (not rotated).
 * Computed in f32 like llama.cpp (theta_scale^j accumulated by repeated multiplication would drift; pow is exact enough).
 */
export function ropeInverseFrequencies(
  headDim: number,
  ropeDim: number,
  base: number,
  freqFactors: Float32Array | undefined,
): Float32Array {
  const half = headDim / 2;
  const inv = new Float32Array(half);
  for (let j = 0; j < half; j++) {
    if (2 * j >= ropeDim) continue;
    let f = Math.pow(base, (-2 * j) / ropeDim);
    if (freqFactors) f /= freqFactors[j];
    inv[j] = f;
  }
  return inv;
}

function getF32Required(header: GgufHeader, key: string): number {
  const v = optF32(header, key);
  if (v === undefined) {
    throw new GgufError('MISSING_KEY', `Metadata key "${key}" is missing; it is required for Gemma 4.`, { key });
  }
  return v;
}

/** Vocabulary size from token_embd.weight (ne1), checked against tokenizer.ggml.tokens when present. */
function vocabSizeOf(header: GgufHeader): number {
  const embd = header.tensors.find((t) => t.name === 'token_embd.weight');
  if (!embd) {
    throw new GgufError('MISSING_TENSOR', 'token_embd.weight is missing; every Gemma 4 GGUF carries it.', {
      tensor: 'token_embd.weight',
    });
  }
  if (embd.dims.length !== 2) throw bad(`token_embd.weight has ${embd.dims.length} dims; expected 2.`);
  const tokens = header.metadata.get('tokenizer.ggml.tokens');
  const vocab = embd.dims[1];
  if (tokens && typeof tokens.value === 'object' && 'kind' in tokens.value && tokens.value.values.length !== vocab) {
    throw bad(
      `tokenizer.ggml.tokens has ${tokens.value.values.length} entries but token_embd.weight has ${vocab} rows.`,
    );
  }
  return vocab;
}
