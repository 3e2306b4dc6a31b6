// The benchmark kit end to end on this machine: build it, run its run.sh with no Node on PATH on SwiftShader's
// Vulkan driver (the one Debian's Chromium ships), and check the report's shape and the tiny model's logits
// against the CPU reference.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runLogits } from '../logits.js';
import { CHECK_TOKENS } from './check-logits.js';
import { modelFileName } from './generate.js';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const root = resolve(import.meta.dirname, '../..');

/** A PATH holding only the tools run.sh uses: no node anywhere on it. */
async function toolsOnlyPath(dir: string): Promise<string> {
  await mkdir(dir);
  for (const tool of ['bash', 'dirname', 'mkdir', 'tee', 'xz', 'cmp', 'chmod', 'cp']) {
    await symlink(execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(dir, tool));
  }
  return dir;
}

describe('benchmark kit', () => {
  const made: string[] = [];
  afterAll(() => Promise.all(made.map((d) => rm(d, { recursive: true, force: true }))));

  it('builds, runs without Node on PATH, and reports figures and logits that match the reference', async () => {
    expect(existsSync(SWIFTSHADER_ICD), `${SWIFTSHADER_ICD} missing: install Debian's chromium (.ci/run does)`).toBe(true);
    const dir = await mkdtemp(join(tmpdir(), 'benchkit-test-'));
    made.push(dir);
    const kit = join(dir, 'kit');
    execFileSync(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), join(root, 'scripts/benchkit/build.ts'), '--out', kit, '--xz-level', '1'], { cwd: root, stdio: 'inherit' });
    const manifest = JSON.parse(await readFile(join(kit, 'manifest.json'), 'utf8'));
    expect(manifest.totalBytes).toBeLessThanOrEqual(60 * 2 ** 20);

    const PATH = await toolsOnlyPath(join(dir, 'bin'));
    expect(spawnSync('bash', ['-c', 'command -v node'], { env: { PATH } }).status).not.toBe(0);
    const out = join(dir, 'out');
    const work = join(dir, 'work');
    const run = spawnSync(
      join(PATH, 'bash'),
      [join(kit, 'run.sh'), '--out', out, '--icd', SWIFTSHADER_ICD, '--models', 'tiny-q4_0', '--prompt', '8,4', '--decode', '2', '--copy', '16', '--check', 'tiny-q4_0', '--work', work, '--jobs', '2'],
      { env: { PATH, HOME: dir, TMPDIR: dir }, encoding: 'utf8' },
    );
    expect(run.status, `run.sh failed:\n${run.stdout}\n${run.stderr}`).toBe(0);

    const report = JSON.parse(await readFile(join(out, 'results.json'), 'utf8'));
    expect(report.adapter.architecture).toBe('swiftshader');
    expect(report.adapter.features).toContain('timestamp-query');
    expect(report.adapter.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
    expect(report.checks).toHaveLength(1);
    expect(report.checks[0]).toMatchObject({ name: 'tiny-q4_0', pass: true, errors: [] });
    const m = report.models[0];
    expect(m.name).toBe('tiny-q4_0');
    expect(m.error).toBeUndefined();
    for (const k of ['decodeTokensPerSecond', 'effectiveGBps', 'copyGBps', 'copyGBpsTimestamps', 'ratioToCopy', 'gpuBytes', 'weightBytesPerToken', 'loadMs']) {
      expect(Number.isFinite(m[k]) && m[k] > 0, `${k} = ${m[k]}`).toBe(true);
    }
    expect(m.prefill.map((p: { promptTokens: number }) => p.promptTokens)).toEqual([8, 4]);
    for (const p of m.prefill) expect(p.ttftMs > 0 && p.warmTokensPerSecond > 0).toBe(true);
    expect(m.decodeMsAll).toHaveLength(2);
    expect(m.dispatchesPerToken).toBeGreaterThan(50);
    expect(m.profile.ops.map((o: { name: string }) => o.name)).toContain('attention-decode partial');
    expect(m.prefillProfile.rows).toBe(4);
    expect(m.prefillProfile.ops.map((o: { name: string }) => o.name)).toContain('attention-prefill');
    expect(m.errors).toEqual([]);
    const md = await readFile(join(out, 'results.md'), 'utf8');
    expect(md).toMatch(/^\| tiny-q4_0 \| [\d.]+ \|/m);
    expect(md).toContain('Decode step profile, tiny-q4_0');
    expect(await readFile(join(out, 'log.txt'), 'utf8')).toContain('vulkan loader: ');

    // The logits the kit computed on the GPU, against the reference computed here, independently of the kit.
    const ref = await runLogits({ model: join(work, modelFileName('tiny-q4_0')), tokens: CHECK_TOKENS, out: join(dir, 'ref.bin'), backend: 'reference' });
    const a = new Float32Array((await readFile(join(dir, 'ref.bin'))).buffer.slice(0));
    const b = new Float32Array((await readFile(join(work, 'logits-tiny-q4_0.bin'))).buffer.slice(0));
    expect(b.length).toBe(CHECK_TOKENS.length * ref.nVocab);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (2e-3 + 2e-3 * Math.abs(a[i])));
    expect(worst).toBeLessThan(1);
  });
});
