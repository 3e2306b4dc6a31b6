import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { descendantBytes, startPeakSampler } from './peak-memory.js';
import { sideBySideReport, type SideBySideRow } from './side-by-side.js';

const row = (backend: string, over: Partial<SideBySideRow> = {}): SideBySideRow => ({
  name: 'e2b-q4_0', backend, decodeTokensPerSecond: 1.5, prefillTokensPerSecond: 5.5, promptTokens: 16, ttftMs: 2900,
  loadMs: 208_900, peakBytes: 2.5e9, backendBytes: 1.73e9, fileBytes: 3.35e9, effectiveGBps: 2.5, kernelGBps: 6.25, kernel: 'wasm stream read', ...over,
});

describe('the side-by-side benchmark table', () => {
  it('has one row per backend with the same columns as the header, and the ratio to the streaming kernel', () => {
    const lines = sideBySideReport([row('webgpu', { kernel: 'GPU copy', kernelGBps: Number.NaN }), row('cpu')]).split('\n');
    const cells = (l: string) => l.split('|').length;
    expect(cells(lines[2])).toBe(cells(lines[0]));
    expect(cells(lines[3])).toBe(cells(lines[0]));
    expect(lines[3]).toContain('| 1.500 | 5.50 (16) | 2.9 | 208.9 | 2500 | 1730 | 3350 | 2.50 | 6.25 (wasm stream read) | 40.0 % |');
    expect(lines[2]).toContain('| - (GPU copy) | - |'); // an unmeasured kernel is a dash, never a made-up figure
  });
});

describe('peak memory of the processes the benchmark starts', () => {
  it('counts a child process that holds 300 MB', async () => {
    const before = descendantBytes();
    const child = spawn(process.execPath, ['-e', 'const b = Buffer.alloc(300e6, 1); console.log("ready"); setTimeout(() => b.length, 60_000)'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const sampler = startPeakSampler(50);
      await new Promise<void>((r) => child.stdout.once('data', () => r()));
      await new Promise((r) => setTimeout(r, 200));
      expect(sampler.stop() - before).toBeGreaterThan(250e6);
    } finally {
      child.kill();
    }
  });
});
