// Bytes a decode step must read from GPU memory: every weight matrix on the decode path plus the KV cache rows
// attended at a position. The benchmark divides this by the step time to get effective bandwidth.
import type { GemmaConfig } from './config.js';
import type { GpuWeights } from './gpu-weights.js';

export interface DecodeTraffic {
  readonly weightBytes: number;
  readonly kvBytes: number;
  readonly total: number;
}

export function decodeTraffic(config: GemmaConfig, weights: GpuWeights, position: number): DecodeTraffic {
  let weightBytes = weights.output.byteSize + (weights.pleModelProj?.byteSize ?? 0);
  // One embedding row is gathered per token.
  weightBytes += weights.tokenEmbd.byteSize / weights.tokenEmbd.rows;
  let kvBytes = 0;
  for (const l of config.layers) {
    const w = weights.layers[l.index];
    const ffnIn = w.ffnIn.fused ? [w.ffnIn.gateUp] : [w.ffnIn.gate, w.ffnIn.up];
    for (const m of [w.q, w.k, w.v, w.o, ...ffnIn, w.down, w.pleGate, w.pleProj]) weightBytes += m?.byteSize ?? 0;
    const keys = Math.min(position + 1, l.window ?? Infinity);
    kvBytes += 2 * keys * l.numKvHeads * l.headDim * 4;
  }
  return { weightBytes, kvBytes, total: weightBytes + kvBytes };
}
