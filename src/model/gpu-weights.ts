// Uploads a Gemma 4 GGUF's weights to the GPU: matrices in the kernels' packed layouts (exact, never
// re-quantised, split to the binding limit), 1-D tensors as f32. The per-layer-embedding table stays on the CPU.
import { dequantize } from '../gguf/dequantize.js';
import { GgufError } from '../gguf/errors.js';
import type { ByteSource, GgufHeader, GgufTensorInfo } from '../gguf/types.js';
import { uploadStorageBuffer } from '../gpu/buffers.js';
import type { GpuContext } from '../gpu/context.js';
import { NonFiniteWeightError, createGpuWeight, type GpuWeight } from '../kernels/weight-layout.js';
import type { GemmaConfig } from './config.js';
import { layerTensorName } from './tensor-plan.js';

export interface GpuLayerWeights {
  readonly attnNorm: GPUBuffer;
  readonly q: GpuWeight;
  readonly k: GpuWeight | undefined;
  readonly v: GpuWeight | undefined;
  readonly qNorm: GPUBuffer;
  readonly kNorm: GPUBuffer | undefined;
  readonly o: GpuWeight;
  readonly postAttnNorm: GPUBuffer;
  readonly ffnNorm: GPUBuffer;
  /** The MLP's input products: one fused [2F, H] weight (gate rows, then up rows) or, types differing, two. */
  readonly ffnIn: FfnInWeights;
  readonly down: GpuWeight;
  readonly postFfnNorm: GPUBuffer;
  readonly pleGate: GpuWeight | undefined;
  readonly pleProj: GpuWeight | undefined;
  readonly plePostNorm: GPUBuffer | undefined;
  /** RoPE inverse frequencies of this layer's type, [headDim/2] f32 (shared between layers of a type). */
  readonly ropeInvFreq: GPUBuffer;
}

/**
 * ffn_gate and ffn_up read the same activations. When both have one type (as in every published file) their rows
 * are uploaded as one weight, so one product (one dispatch) computes both; bytes and results are the same.
 */
export type FfnInWeights =
  | { readonly fused: true; readonly gateUp: GpuWeight }
  | { readonly fused: false; readonly gate: GpuWeight; readonly up: GpuWeight };

export interface GpuWeights {
  /** token_embd: gathered for the input, and the LM head when tied. */
  readonly tokenEmbd: GpuWeight;
  readonly output: GpuWeight;
  readonly outputNorm: GPUBuffer;
  readonly pleModelProj: GpuWeight | undefined;
  readonly pleProjNorm: GPUBuffer | undefined;
  readonly layers: readonly GpuLayerWeights[];
  /** Bytes of weights on the GPU. */
  readonly byteSize: number;
}

export interface WeightLoadProgress {
  readonly tensorsDone: number;
  readonly tensorsTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

export async function loadGpuWeights(
  ctx: GpuContext,
  source: ByteSource,
  header: GgufHeader,
  config: GemmaConfig,
  onProgress?: (p: WeightLoadProgress) => void,
): Promise<GpuWeights> {
  const byName = new Map(header.tensors.map((t) => [t.name, t]));
  const wanted = [...byName.keys()].filter((n) => n !== 'per_layer_token_embd.weight' && isUsed(n, config));
  const bytesTotal = wanted.reduce((s, n) => s + byName.get(n)!.byteSize, 0);
  let bytesDone = 0;
  let tensorsDone = 0;
  let byteSize = 0;
  const tick = (info: GgufTensorInfo) => {
    bytesDone += info.byteSize;
    tensorsDone++;
    onProgress?.({ tensorsDone, tensorsTotal: wanted.length, bytesDone, bytesTotal });
  };
  const read = (info: GgufTensorInfo) => source.read(header.dataOffset + info.offset, info.byteSize);
  // The repacker refuses NaN / Inf floats (kernels' NonFiniteWeightError); to the caller that is a broken file.
  const upload = (name: string, type: number, dims: readonly number[], bytes: Uint8Array, split?: { first: string; second: string; rows: number }) => {
    try {
      return createGpuWeight(ctx, name, type, dims, bytes);
    } catch (e) {
      if (!(e instanceof NonFiniteWeightError)) throw e;
      const tensor = split ? (e.row < split.rows ? split.first : split.second) : e.tensor;
      const row = split && e.row >= split.rows ? e.row - split.rows : e.row;
      throw new GgufError('NON_FINITE_WEIGHT', e.message.replace(`"${e.tensor}"`, `"${tensor}"`).replace(`row ${e.row},`, `row ${row},`), {
        tensor,
        row,
        block: e.block,
      });
    }
  };

  const matrix = async (name: string): Promise<GpuWeight> => {
    const info = byName.get(name);
    if (!info) throw new Error(`tensor ${name} missing (checkGemmaTensors should have caught this)`);
    const w = upload(name, info.type, info.dims, await read(info));
    byteSize += w.byteSize;
    tick(info);
    return w;
  };
  // gate and up as one [2F, K] weight: GGUF rows are independent, so the concatenated bytes are that tensor
  const ffnIn = async (gateName: string, upName: string): Promise<FfnInWeights> => {
    const gate = byName.get(gateName);
    const up = byName.get(upName);
    if (!gate || !up) throw new Error(`tensor ${gate ? upName : gateName} missing (checkGemmaTensors should have caught this)`);
    const sameShape = gate.type === up.type && gate.dims.length === 2 && up.dims.length === 2 && gate.dims[0] === up.dims[0] && gate.dims[1] === up.dims[1];
    if (!sameShape) return { fused: false, gate: await matrix(gateName), up: await matrix(upName) };
    const bytes = new Uint8Array(gate.byteSize + up.byteSize);
    bytes.set(await read(gate), 0);
    bytes.set(await read(up), gate.byteSize);
    const w = upload(`${gateName}+${upName}`, gate.type, [gate.dims[0], 2 * gate.dims[1]], bytes, { first: gateName, second: upName, rows: gate.dims[1] });
    byteSize += w.byteSize;
    tick(gate);
    tick(up);
    return { fused: true, gateUp: w };
  };
  const optMatrix = async (name: string) => (byName.has(name) ? matrix(name) : undefined);
  const vector = async (name: string): Promise<GPUBuffer> => {
    const info = byName.get(name);
    if (!info) throw new Error(`tensor ${name} missing`);
    const values = dequantize(info.type, await read(info), info.elementCount, undefined, name);
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new GgufError('NON_FINITE_WEIGHT', `Tensor "${name}" holds a NaN or infinite value (element ${bad}): the model file is broken. Download it again or use another file.`, {
        tensor: name,
        element: bad,
      });
    }
    byteSize += values.byteLength;
    tick(info);
    return uploadStorageBuffer(ctx, values, name);
  };

  const ropeByType = new Map<string, GPUBuffer>();
  const layers: GpuLayerWeights[] = [];
  for (const layer of config.layers) {
    const n = (s: string) => layerTensorName(layer.index, s);
    const ple = config.pleWidth > 0;
    let rope = ropeByType.get(layer.type);
    if (!rope) ropeByType.set(layer.type, (rope = uploadStorageBuffer(ctx, layer.ropeInvFreq, `rope.${layer.type}`)));
    layers.push({
      attnNorm: await vector(n('attn_norm')),
      q: await matrix(n('attn_q')),
      k: layer.ownsKv ? await matrix(n('attn_k')) : undefined,
      v: layer.ownsKv ? await optMatrix(n('attn_v')) : undefined, // absent: V = the K projection (gpu-forward.ts)
      qNorm: await vector(n('attn_q_norm')),
      kNorm: layer.ownsKv ? await vector(n('attn_k_norm')) : undefined,
      o: await matrix(n('attn_output')),
      postAttnNorm: await vector(n('post_attention_norm')),
      ffnNorm: await vector(n('ffn_norm')),
      ffnIn: await ffnIn(n('ffn_gate'), n('ffn_up')),
      down: await matrix(n('ffn_down')),
      postFfnNorm: await vector(n('post_ffw_norm')),
      pleGate: ple ? await matrix(n('inp_gate')) : undefined,
      pleProj: ple ? await matrix(n('proj')) : undefined,
      plePostNorm: ple ? await vector(n('post_norm')) : undefined,
      ropeInvFreq: rope,
    });
  }
  const tokenEmbd = await matrix('token_embd.weight');
  const output = (await optMatrix('output.weight')) ?? tokenEmbd;
  return {
    tokenEmbd,
    output,
    outputNorm: await vector('output_norm.weight'),
    pleModelProj: await optMatrix('per_layer_model_proj.weight'),
    pleProjNorm: config.pleWidth > 0 ? await vector('per_layer_proj_norm.weight') : undefined,
    layers,
    byteSize,
  };
}

/** Tensors the GPU needs (shared layers' unused k/v and rope_freqs/layer scalars — folded into config — are not uploaded). */
function isUsed(name: string, config: GemmaConfig): boolean {
  if (name === 'rope_freqs.weight' || name.endsWith('layer_output_scale.weight')) return false;
  const m = /^blk\.(\d+)\.(attn_k|attn_v|attn_k_norm)\.weight$/.exec(name);
  if (m) return config.layers[Number(m[1])].ownsKv;
  return true;
}
