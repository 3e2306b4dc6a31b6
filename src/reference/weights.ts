// The weights the reference forward pass reads, already dequantized to f32 (the loader lives in src/model/).
import type { DenseMatrix } from './math.js';

export interface ReferenceLayerWeights {
  readonly attnNorm: Float32Array; // [H]
  readonly q: DenseMatrix; // [nH*hd, H]
  readonly k: DenseMatrix | undefined; // [nKV*hd, H], only on layers that own K/V
  readonly v: DenseMatrix | undefined; // [nKV*hd, H]
  readonly qNorm: Float32Array; // [hd]
  readonly kNorm: Float32Array | undefined; // [hd]
  readonly o: DenseMatrix; // [H, nH*hd]
  readonly postAttnNorm: Float32Array; // [H]
  readonly ffnNorm: Float32Array; // [H]
  readonly gate: DenseMatrix; // [F, H]
  readonly up: DenseMatrix; // [F, H]
  readonly down: DenseMatrix; // [H, F]
  readonly postFfnNorm: Float32Array; // [H]
  readonly pleGate: DenseMatrix | undefined; // [P, H]
  readonly pleProj: DenseMatrix | undefined; // [H, P]
  readonly plePostNorm: Float32Array | undefined; // [H]
}

export interface ReferenceWeights {
  /** Row `token` of token_embd ([H], unscaled). */
  embeddingRow(token: number): Float32Array;
  /** Row `token` of per_layer_token_embd ([L*P], unscaled); only when P > 0. */
  pleRow(token: number): Float32Array;
  readonly pleModelProj: DenseMatrix | undefined; // [L*P, H]
  readonly pleProjNorm: Float32Array | undefined; // [P]
  readonly outputNorm: Float32Array; // [H]
  /** LM head [V, H] (token_embd when tied). */
  readonly output: DenseMatrix;
  readonly layers: readonly ReferenceLayerWeights[];
}
