// The cross-check command: argument errors, bad files, and the output format on a generated model.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { GgmlType } from '../src/gguf/types.js';
import { createReferenceState, forwardReference } from '../src/reference/forward.js';
import { SHAPES, generateFixture, uniformMix } from './fixtures/gemma-fixture.js';
import { buildReferenceModel } from './fixtures/load-fixture.js';
import { writeGgufFile } from './gguf-file-writer.js';
import { parseLogitsArgs } from './logits.js';

const run = promisify(execFile);
const options = { shape: SHAPES.tiny, mix: uniformMix(GgmlType.Q4_0), seed: 11 };

async function cli(args: string[], nodeArgs: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node', ['--import', 'tsx', ...nodeArgs, 'scripts/logits.ts', ...args], { cwd: process.cwd() });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('npm run logits', () => {
  let dir: string;
  let model: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'logits-'));
    model = join(dir, 'tiny.gguf');
    const f = generateFixture(options);
    await writeGgufFile(model, f.spec, f.tensorData);
  });

  it('writes float32 LE logits [n_tokens][n_vocab] equal to the reference and prints a summary', async () => {
    const out = join(dir, 'out.bin');
    const tokens = [2, 105, 500, 501, 107];
    const r = await cli([model, '--tokens', tokens.join(','), '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const bytes = await readFile(out);
    const m = await buildReferenceModel(options);
    const V = m.config.vocabSize;
    expect(bytes.byteLength).toBe(tokens.length * V * 4);
    const logits = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    const expected = forwardReference(m.config, m.weights, createReferenceState(m.config), tokens, { logits: 'all' });
    expected.forEach((row, i) => expect(logits.subarray(i * V, (i + 1) * V)).toEqual(row));
    let argmax = 0;
    const last = expected[tokens.length - 1];
    for (let i = 0; i < V; i++) if (last[i] > last[argmax]) argmax = i;
    expect(r.stdout.trim()).toMatch(new RegExp(`^n_tokens=5 n_vocab=${V} argmax_last=${argmax} `));
  });

  it('rejects bad arguments with a message and exit code 2', async () => {
    for (const args of [[], [model], [model, '--tokens', '1,x', '--out', 'o'], [model, '--tokens', '1', '--out', 'o', '--backend', 'cuda'], [model, '--tokens', '1', '--out', 'o', '--backend', 'cpu', '--threads', '0']]) {
      const r = await cli(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^error: /);
    }
    const r = await cli([model, '--tokens', '999999', '--out', join(dir, 'o.bin')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/outside the vocabulary/);
  });

  it('reports a bad or missing file with its typed error code and exit code 1', async () => {
    const bad = join(dir, 'bad.gguf');
    await writeFile(bad, new Uint8Array([0x47, 0x47, 0x55, 0x46, 9, 0, 0, 0]));
    let r = await cli([bad, '--tokens', '2', '--out', join(dir, 'o.bin')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error \[(UNSUPPORTED_VERSION|TRUNCATED)\]/);
    r = await cli([join(dir, 'missing.gguf'), '--tokens', '2', '--out', join(dir, 'o.bin')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ENOENT|no such file/);
  });

  it('--backend cpu writes the same format, within the WebGPU tolerance of the reference in f32 mode', async () => {
    const tokens = [2, 105, 500, 501, 107];
    const m = await buildReferenceModel(options);
    const V = m.config.vocabSize;
    const expected = forwardReference(m.config, m.weights, createReferenceState(m.config), tokens, { logits: 'all' });
    for (const extra of [['--activations', 'f32'], ['--activations', 'f32', '--threads', '2'], []]) {
      const out = join(dir, 'cpu.bin');
      const r = await cli([model, '--tokens', tokens.join(','), '--out', out, '--backend', 'cpu', ...extra]);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/backend=cpu/);
      const bytes = await readFile(out);
      expect(bytes.byteLength).toBe(tokens.length * V * 4);
      const logits = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
      // f32 mode: the forward test's tolerance; int8 mode (default): finite and the same shape.
      expected.forEach((row, i) =>
        row.forEach((v, j) => {
          const got = logits[i * V + j];
          if (extra.length) expect(Math.abs(got - v)).toBeLessThan(2e-3 + 2e-3 * Math.abs(v));
          else expect(Number.isFinite(got)).toBe(true);
        }),
      );
    }
    const bad = await cli([model, '--tokens', '2', '--out', join(dir, 'o.bin'), '--activations', 'f32']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--backend cpu only/);
  });

  it('parses arguments without adding a BOS', () => {
    expect(parseLogitsArgs(['m.gguf', '--tokens', '5, 6,7', '--out', 'x.bin'])).toEqual({
      model: 'm.gguf',
      tokens: [5, 6, 7],
      out: 'x.bin',
      backend: 'reference',
    });
  });

  it('exits 1 with NON_FINITE_LOGITS (and writes nothing) when the weights make the logits NaN', async () => {
    const f = generateFixture(options);
    const norm = f.spec.tensors.findIndex((t) => t.name === 'output_norm.weight');
    expect(norm).toBeGreaterThanOrEqual(0);
    const broken = join(dir, 'nan.gguf');
    await writeGgufFile(broken, f.spec, (i) => {
      const bytes = f.tensorData(i);
      if (i === norm) new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4).fill(NaN);
      return bytes;
    });
    const out = join(dir, 'nan.bin');
    const r = await cli([broken, '--tokens', '2,105', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error \[NON_FINITE_LOGITS\]: .*non-finite logit \(NaN\)/);
    await expect(readFile(out)).rejects.toThrow(/ENOENT/);
  });

  it('treats a context length of 0 or 1 as a broken file (exit 1, BAD_CONFIG), not a usage error', async () => {
    const f = generateFixture(options);
    const metadata = f.spec.metadata.map((m) => (m.key === 'gemma4.context_length' ? { ...m, value: 1 } : m));
    expect(metadata.some((m) => m.key === 'gemma4.context_length')).toBe(true);
    const broken = join(dir, 'ctx1.gguf');
    await writeGgufFile(broken, { ...f.spec, metadata }, f.tensorData);
    const r = await cli([broken, '--tokens', '2,105', '--out', join(dir, 'ctx1.bin')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error \[BAD_CONFIG\]: gemma4\.context_length is 1/);
  });

  it('does not import the browser tooling for the reference backend (a file that fails at byte 0)', async () => {
    const hook = ['--import', './scripts/fixtures/forbid-browser-tooling.mjs'];
    const bad = join(dir, 'zero.gguf');
    await writeFile(bad, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
    let r = await cli([bad, '--tokens', '2', '--out', join(dir, 'o.bin')], hook);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error \[BAD_MAGIC\]/);
    r = await cli([model, '--tokens', '2,105', '--out', join(dir, 'ok.bin')], hook);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // The hook is real: asking for the webgpu backend trips it.
    r = await cli([model, '--tokens', '2', '--out', join(dir, 'o.bin'), '--backend', 'webgpu'], hook);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/browser tooling imported: (playwright-core|vite)/);
  });
});
