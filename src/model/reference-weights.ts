// Builds the reference forward pass's f32 weights from a GGUF. Matrices are dequantized whole; the two
// embedding tables stay quantized in memory and are dequantized a row at a time (the PLE table is GBs).
import { dequantize } from '../gguf/dequantize.js';
import { ggmlTypeTraits } from '../gguf/ggml-types.js';
import type { ByteSource, GgufHeader, GgufTensorInfo } from '../gguf/types.js';
import type { DenseMatrix } from '../reference/math.js';
import type { ReferenceLayerWeights, ReferenceWeights } from '../reference/weights.js';
import type { GemmaConfig } from './config.js';
import { readTensorBytes } from '../gguf/tensor-data.js';
import { readTensorF32 } from './load-config.js';
import { layerTensorName } from './tensor-plan.js';

export async function loadReferenceWeights(
  source: ByteSource,
  header: GgufHeader,
  config: GemmaConfig,
): Promise<ReferenceWeights> {
  const byName = new Map(header.tensors.map((t) => [t.name, t]));
  const info = (name: string) => byName.get(name);
  const vector = async (name: string) => {
    const t = info(name);
    return t ? readTensorF32(source, header, t) : undefined;
  };
  const matrix = async (name: string): Promise<DenseMatrix | undefined> => {
    const t = info(name);
    if (!t) return undefined;
    return { rows: t.dims[1], cols: t.dims[0], data: await readTensorF32(source, header, t) };
  };
  const must = <T>(v: T | undefined, name: string): T => {
    if (v === undefined) throw new Error(`tensor ${name} missing (checkGemmaTensors should have caught this)`);
    return v;
  };

  const layers: ReferenceLayerWeights[] = [];
  for (const layer of config.layers) {
    const n = (s: string) => layerTensorName(layer.index, s);
    const m = async (s: string) => must(await matrix(n(s)), n(s));
    const v = async (s: string) => must(await vector(n(s)), n(s));
    layers.push({
      attnNorm: await v('attn_norm'),
      q: await m('attn_q'),
      k: layer.ownsKv ? await m('attn_k') : undefined,
      v: layer.ownsKv ? await matrix(n('attn_v')) : undefined, // absent: V = the K projection (forward.ts)
      qNorm: await v('attn_q_norm'),
      kNorm: layer.ownsKv ? await v('attn_k_norm') : undefined,
      o: await m('attn_output'),
      postAttnNorm: await v('post_attention_norm'),
      ffnNorm: await v('ffn_norm'),
      gate: await m('ffn_gate'),
      up: await m('ffn_up'),
      down: await m('ffn_down'),
      postFfnNorm: await v('post_ffw_norm'),
      pleGate: config.pleWidth > 0 ? await m('inp_gate') : undefined,
      pleProj: config.pleWidth > 0 ? await m('proj') : undefined,
      plePostNorm: config.pleWidth > 0 ? await v('post_norm') : undefined,
    });
  }

  const embd = must(info('token_embd.weight'), 'token_embd.weight');
  const embeddingRow = await rowReader(source, header, embd);
  const pleInfo = info('per_layer_token_embd.weight');
  const pleRow = pleInfo ? await rowReader(source, header, pleInfo) : () => new Float32Array(0);
  const untied = await matrix('output.weight');
  const output: DenseMatrix = untied ?? {
    rows: embd.dims[1],
    cols: embd.dims[0],
    data: dequantize(embd.type, await readTensorBytes(source, header, embd), embd.elementCount, undefined, embd.name),
  };

  return {
    embeddingRow,
    pleRow,
    pleModelProj: await matrix('per_layer_model_proj.weight'),
    pleProjNorm: await vector('per_layer_proj_norm.weight'),
    outputNorm: must(await vector('output_norm.weight'), 'output_norm.weight'),
    output,
    layers,
  };
}

/** Keeps a 2-D tensor's raw bytes and dequantizes one row on request. */
async function rowReader(source: ByteSource, header: GgufHeader, t: GgufTensorInfo): Promise<(row: number) => Float32Array> {
  const bytes = await readTensorBytes(source, header, t);
  const traits = ggmlTypeTraits(t.type)!;
  const rowLength = t.dims[0];
  const rowBytes = (rowLength / traits.blockSize) * traits.typeSize;
  return (row: number) =>
    dequantize(t.type, bytes.subarray(row * rowBytes, (row + 1) * rowBytes), rowLength, undefined, t.name);
}
