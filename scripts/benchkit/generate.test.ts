// The kit's parallel model writer must produce byte for byte the file the one-process writer makes.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { planGguf } from '../../src/gguf/writer.js';
import { benchFixture } from '../bench/models.js';
import { writeGgufFile } from '../gguf-file-writer.js';
import { generateModelFile, modelFileName, partitionTensors, writeModelPart } from './generate.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe('parallel model generation', () => {
  it('splits the tensors into shares that cover each exactly once, about evenly by bytes', () => {
    const plan = planGguf(benchFixture('e2b-q4_0').spec);
    for (const parts of [1, 3, 7]) {
      const shares = partitionTensors(plan, parts);
      expect(shares).toHaveLength(parts);
      expect(shares.flat().sort((a, b) => a - b)).toEqual(plan.tensorSizes.map((_, i) => i));
      const bytes = shares.map((s) => s.reduce((n, i) => n + plan.tensorSizes[i], 0));
      // No share exceeds the largest tensor plus an even split (greedy bound).
      expect(Math.max(...bytes)).toBeLessThanOrEqual(Math.max(...plan.tensorSizes) + plan.tensorSizes.reduce((a, b) => a + b, 0) / parts);
    }
  });

  it.each([1, 3])('writes the same bytes as writeGgufFile with %i part(s), and reuses a complete file', async (parts) => {
    const dir = await mkdtemp(join(tmpdir(), 'benchkit-gen-'));
    dirs.push(dir);
    const name = 'tiny-q4_k_m';
    const spawned: number[] = [];
    const spawnPart = async (n: string, path: string, part: number, of: number) => {
      spawned.push(part);
      await writeModelPart(n, path, part, of);
    };
    const g = await generateModelFile(name, dir, { parts, spawnPart });
    expect(g).toMatchObject({ path: join(dir, modelFileName(name)), reused: false });
    expect(spawned.sort()).toEqual(Array.from({ length: parts }, (_, i) => i));
    const f = benchFixture(name);
    await writeGgufFile(join(dir, 'one.gguf'), f.spec, f.tensorData);
    expect(Buffer.compare(await readFile(g.path), await readFile(join(dir, 'one.gguf')))).toBe(0);
    const again = await generateModelFile(name, dir, { parts, spawnPart: () => Promise.reject(new Error('should not run')) });
    expect(again.reused).toBe(true);
  });

  it('removes the partial file when a worker fails', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'benchkit-gen-'));
    dirs.push(dir);
    await expect(generateModelFile('tiny-q4_0', dir, { parts: 2, spawnPart: () => Promise.reject(new Error('worker died')) })).rejects.toThrow('worker died');
    expect(await readdir(dir)).toEqual([]);
  });
});
