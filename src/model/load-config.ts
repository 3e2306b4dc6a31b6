// Reads a GemmaConfig from a GGUF byte source: metadata plus the two small tensors it depends on.
import { dequantize } from '../gguf/dequantize.js';
import { readTensorBytes } from '../gguf/tensor-data.js';
import type { ByteSource, GgufHeader, GgufTensorInfo } from '../gguf/types.js';
import { createGemmaConfig, type GemmaConfig } from './config.js';
import { checkGemmaTensors, layerTensorName } from './tensor-plan.js';

/** Reads and dequantizes a whole tensor to f32. */
export async function readTensorF32(source: ByteSource, header: GgufHeader, info: GgufTensorInfo): Promise<Float32Array> {
  return dequantize(info.type, await readTensorBytes(source, header, info), info.elementCount, undefined, info.name);
}

/** Config from metadata, rope_freqs and layer_output_scale; also checks every tensor's presence, dims and type. */
export async function loadGemmaConfig(source: ByteSource, header: GgufHeader): Promise<GemmaConfig> {
  const byName = new Map(header.tensors.map((t) => [t.name, t]));
  const ropeInfo = byName.get('rope_freqs.weight');
  const ropeFreqs = ropeInfo ? await readTensorF32(source, header, ropeInfo) : undefined;
  const layerScalars: (number | undefined)[] = [];
  for (let i = 0; byName.has(layerTensorName(i, 'attn_norm')); i++) {
    const info = byName.get(layerTensorName(i, 'layer_output_scale'));
    layerScalars.push(info && info.elementCount === 1 ? (await readTensorF32(source, header, info))[0] : undefined);
  }
  const config = createGemmaConfig(header, { ropeFreqs, layerScalars });
  checkGemmaTensors(header, config);
  return config;
}
