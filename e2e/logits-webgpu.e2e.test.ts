// `npm run logits -- --backend webgpu` runs the same computation in headless Chromium and writes the same format
// as the reference backend; the two files agree within the forward-pass tolerance.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GgmlType } from '../src/gguf/types.js';
import { SHAPES, generateFixture, uniformMix } from '../scripts/fixtures/gemma-fixture.js';
import { writeGgufFile } from '../scripts/gguf-file-writer.js';
import { runLogits } from '../scripts/logits.js';

describe('logits command, webgpu backend', () => {
  it('writes float32 [n_tokens][n_vocab] matching the reference backend', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'logits-gpu-'));
    const model = join(dir, 'm.gguf');
    const f = generateFixture({ shape: SHAPES.tiny, mix: uniformMix(GgmlType.Q5_1), seed: 31 });
    await writeGgufFile(model, f.spec, f.tensorData);
    const tokens = [2, 105, 500, 501, 17, 88, 107];
    const ref = await runLogits({ model, tokens, out: join(dir, 'ref.bin'), backend: 'reference' });
    const gpu = await runLogits({ model, tokens, out: join(dir, 'gpu.bin'), backend: 'webgpu' });
    expect(gpu).toEqual(ref); // same shape and the same argmax of the last row
    const a = new Float32Array((await readFile(join(dir, 'ref.bin'))).buffer.slice(0));
    const b = new Float32Array((await readFile(join(dir, 'gpu.bin'))).buffer.slice(0));
    expect(b.length).toBe(tokens.length * ref.nVocab);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (2e-3 + 2e-3 * Math.abs(a[i])));
    expect(worst).toBeLessThan(1);
  });
});
