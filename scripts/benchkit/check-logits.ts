// The kit's correctness check: a tiny model's logits for every prompt row on this GPU against the plain
// TypeScript reference, with the tolerance the browser logits test uses.
import { writeFile } from 'node:fs/promises';
import { createGpuContext } from '../../src/gpu/context.js';
import { readGgufHeader } from '../../src/gguf/reader.js';
import { GemmaModel } from '../../src/model/gemma-model.js';
import { loadGemmaConfig } from '../../src/model/load-config.js';
import { loadReferenceWeights } from '../../src/model/reference-weights.js';
import { createReferenceState, forwardReference } from '../../src/reference/forward.js';
import { openFileSource } from '../node-file-source.js';

export const CHECK_TOKENS = [2, 105, 500, 501, 17, 88, 107];

export interface LogitsCheck {
  readonly name: string;
  readonly tokens: number[];
  readonly nVocab: number;
  /** max over all logits of |gpu - ref| / (2e-3 + 2e-3 |ref|); under 1 passes. */
  readonly worstError: number;
  readonly argmaxLastGpu: number;
  readonly argmaxLastReference: number;
  readonly pass: boolean;
  readonly errors: string[];
}

const argmax = (x: Float32Array) => x.reduce((best, v, i) => (v > x[best] ? i : best), 0);

/** Compares GPU and reference logits for `tokens`; writes the GPU's rows (float32 LE [n][V]) to `logitsOut`. */
export async function checkLogits(gpu: GPU, name: string, modelPath: string, logitsOut: string, tokens = CHECK_TOKENS): Promise<LogitsCheck> {
  const source = await openFileSource(modelPath);
  const ctx = await createGpuContext({ gpu });
  try {
    const header = await readGgufHeader(source);
    const model = await GemmaModel.load(ctx, source, header, { contextLength: Math.max(16, tokens.length), allRowLogits: true });
    const { logits } = await model.run(tokens, 'all', { readLogits: true });
    const config = await loadGemmaConfig(source, header);
    const weights = await loadReferenceWeights(source, header, config);
    const ref = forwardReference(config, weights, createReferenceState(config), tokens, { logits: 'all' });
    const V = config.vocabSize;
    let worst = 0;
    for (let r = 0; r < tokens.length; r++) {
      for (let i = 0; i < V; i++) {
        const a = ref[r][i];
        const e = Math.abs(a - logits[r][i]) / (2e-3 + 2e-3 * Math.abs(a));
        worst = Math.max(worst, Number.isNaN(e) ? Infinity : e);
      }
    }
    const all = new Float32Array(tokens.length * V);
    logits.forEach((row, i) => all.set(row, i * V));
    await writeFile(logitsOut, new Uint8Array(all.buffer));
    const last = tokens.length - 1;
    return {
      name,
      tokens,
      nVocab: V,
      worstError: worst,
      argmaxLastGpu: argmax(logits[last]),
      argmaxLastReference: argmax(ref[last]),
      pass: worst < 1 && ctx.errors.length === 0,
      errors: [...ctx.errors],
    };
  } finally {
    ctx.destroy();
    await source.close();
  }
}
