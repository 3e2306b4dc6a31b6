// The tensors a Gemma 4 GGUF must (or may) carry for a given config, with their ggml dims (gguf-gemma4.md §3.2),
// and a check of a file's tensor table against them.
import { GgufError } from '../gguf/errors.js';
import { assertSupportedType } from '../gguf/ggml-types.js';
import type { GgufHeader, GgufTensorInfo } from '../gguf/types.js';
import type { GemmaConfig } from './config.js';

export interface PlannedTensor {
  readonly name: string;
  /** ggml ne order: [in, out] for matrices. */
  readonly dims: readonly number[];
  /** 'required', 'optional' (used when present), or 'ignored' (accepted, never used: shared layers' k/v). */
  readonly use: 'required' | 'optional' | 'ignored';
}

/** Names of one layer's tensors. */
export const layerTensorName = (layer: number, suffix: string): string => `blk.${layer}.${suffix}.weight`;

export function planGemmaTensors(config: GemmaConfig): PlannedTensor[] {
  const H = config.hiddenSize;
  const P = config.pleWidth;
  const L = config.numLayers;
  const out: PlannedTensor[] = [
    { name: 'token_embd.weight', dims: [H, config.vocabSize], use: 'required' },
    { name: 'output.weight', dims: [H, config.vocabSize], use: 'optional' },
    { name: 'output_norm.weight', dims: [H], use: 'required' },
  ];
  if (config.layers.some((l) => l.type === 'full')) {
    const full = config.layers.find((l) => l.type === 'full')!;
    out.push({ name: 'rope_freqs.weight', dims: [full.headDim / 2], use: 'required' });
  }
  if (P > 0) {
    out.push(
      { name: 'per_layer_token_embd.weight', dims: [P * L, config.vocabSize], use: 'required' },
      { name: 'per_layer_model_proj.weight', dims: [H, P * L], use: 'required' },
      { name: 'per_layer_proj_norm.weight', dims: [P], use: 'required' },
    );
  }
  for (const layer of config.layers) {
    const i = layer.index;
    const hd = layer.headDim;
    const q = hd * layer.numHeads;
    const kv = hd * layer.numKvHeads;
    const F = layer.ffnWidth;
    const kvUse = layer.ownsKv ? 'required' : 'ignored';
    out.push(
      { name: layerTensorName(i, 'attn_norm'), dims: [H], use: 'required' },
      { name: layerTensorName(i, 'attn_q'), dims: [H, q], use: 'required' },
      { name: layerTensorName(i, 'attn_k'), dims: [H, kv], use: kvUse },
      // Optional everywhere (gguf-gemma4.md): without it V is the K projection before k_norm.
      { name: layerTensorName(i, 'attn_v'), dims: [H, kv], use: layer.ownsKv ? 'optional' : 'ignored' },
      { name: layerTensorName(i, 'attn_q_norm'), dims: [hd], use: 'required' },
      { name: layerTensorName(i, 'attn_k_norm'), dims: [hd], use: kvUse },
      { name: layerTensorName(i, 'attn_output'), dims: [q, H], use: 'required' },
      { name: layerTensorName(i, 'post_attention_norm'), dims: [H], use: 'required' },
      { name: layerTensorName(i, 'ffn_norm'), dims: [H], use: 'required' },
      { name: layerTensorName(i, 'ffn_gate'), dims: [H, F], use: 'required' },
      { name: layerTensorName(i, 'ffn_up'), dims: [H, F], use: 'required' },
      { name: layerTensorName(i, 'ffn_down'), dims: [F, H], use: 'required' },
      { name: layerTensorName(i, 'post_ffw_norm'), dims: [H], use: 'required' },
      { name: layerTensorName(i, 'layer_output_scale'), dims: [1], use: 'optional' },
    );
    if (P > 0) {
      out.push(
        { name: layerTensorName(i, 'inp_gate'), dims: [H, P], use: 'required' },
        { name: layerTensorName(i, 'proj'), dims: [P, H], use: 'required' },
        { name: layerTensorName(i, 'post_norm'), dims: [H], use: 'required' },
      );
    }
  }
  return out;
}

/**
 * Checks the file's tensor table against the plan: required tensors present, every present tensor has the
 * planned dims and a type this runtime can run, nothing unknown. Returns the infos by name.
 */
export function checkGemmaTensors(header: GgufHeader, config: GemmaConfig): Map<string, GgufTensorInfo> {
  const byName = new Map(header.tensors.map((t) => [t.name, t]));
  const plan = planGemmaTensors(config);
  const planned = new Set(plan.map((p) => p.name));
  for (const p of plan) {
    const info = byName.get(p.name);
    if (!info) {
      if (p.use === 'required') {
        throw new GgufError(
          'MISSING_TENSOR',
          `Tensor "${p.name}" is missing; a Gemma 4 file with this config needs it. The file may be incomplete or not a Gemma 4 text model.`,
          { tensor: p.name },
        );
      }
      continue;
    }
    if (info.dims.length !== p.dims.length || info.dims.some((d, k) => d !== p.dims[k])) {
      throw new GgufError(
        'BAD_TENSOR_SHAPE',
        `Tensor "${p.name}" has dims [${info.dims.join(', ')}] but the metadata implies [${p.dims.join(', ')}].`,
        { tensor: p.name, dims: [...info.dims], expected: [...p.dims] },
      );
    }
    if (p.use !== 'ignored') assertSupportedType(info.type, p.name);
  }
  for (const t of header.tensors) {
    if (!planned.has(t.name)) {
      throw new GgufError(
        'BAD_CONFIG',
        `Tensor "${t.name}" is not part of a Gemma 4 text model (vision/audio tensors belong in a separate mmproj file).`,
        { tensor: t.name },
      );
    }
  }
  return byName;
}
