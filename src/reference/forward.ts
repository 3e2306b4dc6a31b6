// Reference Gemma 4 forward pass (spec gemma4-architecture.md §3), written from the spec, not from GPU code.
// Processes tokens one layer at a time over all rows (prefill) or one row (decode); both share this code.
import type { GemmaConfig } from '../model/config.js';
import { attendOne } from './attention.js';
import {
  addInPlace,
  geglu,
  gelu,
  matVec as plainMatVec,
  rmsNorm,
  rmsNormSlices,
  ropeInPlace,
  scaleInPlace,
  softcapInPlace,
  type DenseMatrix,
  type Vec,
} from './math.js';
import type { ReferenceWeights } from './weights.js';

/** KV cache of the reference: every position kept (masks apply the window), only for layers that own K/V. */
export interface ReferenceState {
  /** Number of positions processed so far. */
  length: number;
  readonly keys: (Vec[] | undefined)[];
  readonly values: (Vec[] | undefined)[];
}

export function createReferenceState(config: GemmaConfig): ReferenceState {
  return {
    length: 0,
    keys: config.layers.map((l) => (l.ownsKv ? [] : undefined)),
    values: config.layers.map((l) => (l.ownsKv ? [] : undefined)),
  };
}

export interface ForwardOptions {
  /** Which rows need logits: 'last' (generation) or 'all'. Default 'all'. */
  readonly logits?: 'all' | 'last';
  /**
   * Skip layers >= F for rows whose logits are not needed (spec §3.5; exact). Default true.
   * Turning it off is how tests prove the skip changes nothing.
   */
  readonly skipSharedLayersForUnusedRows?: boolean;
  /**
   * What each weight product sees as its input (default: x itself). The CPU path's 8-bit mode is checked against
   * the reference with its activation quantizer modelled here (cpu/forward.test.ts).
   */
  readonly productInput?: (w: DenseMatrix, x: Vec) => ArrayLike<number>;
}

/**
 * Runs `tokens` at positions state.length, state.length + 1, ... and appends them to the KV cache.
 * Returns logits as one Float32Array per requested row (softcapped), in row order.
 */
export function forwardReference(
  config: GemmaConfig,
  weights: ReferenceWeights,
  state: ReferenceState,
  tokens: readonly number[],
  options: ForwardOptions = {},
): Float32Array[] {
  const T = tokens.length;
  const start = state.length;
  if (start + T > config.contextLength) {
    throw new RangeError(`${start + T} positions exceed the context length ${config.contextLength}`);
  }
  const wantRow = (t: number) => options.logits !== 'last' || t === T - 1;
  const skip = options.skipSharedLayersForUnusedRows ?? true;
  const eps = config.rmsNormEps;
  const input = options.productInput;
  const matVec = input ? (w: DenseMatrix, x: Vec) => plainMatVec(w, input(w, x)) : plainMatVec;

  // §3.1-3.2 embeddings and per-layer inputs for every row.
  const hidden: Vec[] = [];
  const perLayer: Vec[] = [];
  for (const token of tokens) {
    if (!Number.isInteger(token) || token < 0 || token >= config.vocabSize) {
      throw new RangeError(`token id ${token} is outside the vocabulary [0, ${config.vocabSize})`);
    }
    const e = Float64Array.from(weights.embeddingRow(token), (v) => v * config.embedScale);
    hidden.push(e);
    perLayer.push(perLayerInputs(config, weights, token, e, matVec));
  }

  for (const layer of config.layers) {
    const lw = weights.layers[layer.index];
    const { headDim: hd, numHeads, numKvHeads } = layer;
    const rows = [...hidden.keys()].filter((t) => layer.ownsKv || !skip || wantRow(t));
    // Attention inputs for all rows first: owning layers append K/V before any row attends (causal within the chunk).
    const queries = new Map<number, Vec>();
    for (const t of rows) {
      const pos = start + t;
      const a = rmsNorm(hidden[t], lw.attnNorm, eps);
      const q = rmsNormSlices(matVec(lw.q, a), hd, lw.qNorm, eps);
      ropeInPlace(q, hd, pos, layer.ropeInvFreq);
      queries.set(t, q);
      if (layer.ownsKv) {
        const k = rmsNormSlices(matVec(lw.k!, a), hd, lw.kNorm, eps);
        ropeInPlace(k, hd, pos, layer.ropeInvFreq);
        // No attn_v (gguf-gemma4.md, "optional everywhere"): V is the K projection before k_norm.
        const v = rmsNormSlices(matVec(lw.v ?? lw.k!, a), hd, undefined, eps);
        state.keys[layer.index]![pos] = k;
        state.values[layer.index]![pos] = v;
      }
    }
    const kv = {
      keys: state.keys[layer.kvSourceLayer]!,
      values: state.values[layer.kvSourceLayer]!,
    };
    for (const t of rows) {
      const x = hidden[t];
      const attn = attendOne(queries.get(t)!, start + t, kv, numHeads, numKvHeads, hd, layer.window);
      addInPlace(x, rmsNorm(matVec(lw.o, attn), lw.postAttnNorm, eps));
      const m = rmsNorm(x, lw.ffnNorm, eps);
      const f = matVec(lw.down, geglu(matVec(lw.gate, m), matVec(lw.up, m)));
      addInPlace(x, rmsNorm(f, lw.postFfnNorm, eps));
      if (config.pleWidth > 0) {
        const P = config.pleWidth;
        const g = matVec(lw.pleGate!, x);
        const pl = perLayer[t].subarray(layer.index * P, (layer.index + 1) * P);
        for (let k = 0; k < P; k++) g[k] = gelu(g[k]) * pl[k];
        addInPlace(x, rmsNorm(matVec(lw.pleProj!, g), lw.plePostNorm, eps));
      }
      scaleInPlace(x, config.layerScalars[layer.index]);
    }
  }
  state.length = start + T;

  const logits: Float32Array[] = [];
  for (let t = 0; t < T; t++) {
    if (!wantRow(t)) continue;
    const y = rmsNorm(hidden[t], weights.outputNorm, eps);
    const z = Float32Array.from(matVec(weights.output, y));
    softcapInPlace(z, config.finalLogitSoftcap);
    logits.push(z);
  }
  return logits;
}

/** §3.2: pl[l] = (RMSNorm((W_plm e) H^-1/2 slice l; w_pln) + E_ple[t] slice l * sqrt(P)) * 2^-1/2, as [L*P]. */
function perLayerInputs(
  config: GemmaConfig,
  weights: ReferenceWeights,
  token: number,
  e: Vec,
  matVec: (w: DenseMatrix, x: Vec) => Vec,
): Vec {
  const P = config.pleWidth;
  if (P === 0) return new Float64Array(0);
  const c = matVec(weights.pleModelProj!, e);
  scaleInPlace(c, 1 / Math.sqrt(config.hiddenSize));
  const normed = rmsNormSlices(c, P, weights.pleProjNorm, config.rmsNormEps);
  const r = weights.pleRow(token);
  const rowScale = Math.sqrt(P);
  for (let i = 0; i < normed.length; i++) normed[i] = (normed[i] + r[i] * rowScale) * Math.SQRT1_2;
  return normed;
}
