// The bench:peers report: medians per engine, model and page mode; ours/wllama ratios; a failed engine as a row.
import { describe, expect, it } from 'vitest';
import { markdownTable, summarize, type Run } from './peers-report.js';

const run = (engine: 'ours' | 'wllama', isolated: boolean, rep: number, decode: number, prefill: number, threads = 2): Run => ({
  model: 'e2b-q4_0',
  engine,
  isolated,
  rep,
  ok: true,
  threads,
  decodeTokensPerSecond: decode,
  prefillTokensPerSecond: prefill,
  loadSeconds: 10 + rep,
  promptTokens: 64,
  decodeTokens: 32,
  detail: {},
});

describe('bench:peers report', () => {
  it('takes medians over the runs that worked and prints ours/wllama', () => {
    const runs = [run('ours', true, 0, 4, 20), run('ours', true, 1, 6, 40), run('ours', true, 2, 5, 30), run('wllama', true, 0, 1, 10), run('wllama', true, 1, 3, 10)];
    runs.push({ ...run('wllama', true, 2, 0, 0), ok: false, error: 'no result within 5 s' });
    const summary = summarize(runs);
    expect(summary).toEqual([
      expect.objectContaining({ engine: 'ours', runs: 3, decodeTokensPerSecond: 5, prefillTokensPerSecond: 30, loadSeconds: 11, threads: 2 }),
      expect.objectContaining({ engine: 'wllama', runs: 2, failedRuns: 1, decodeTokensPerSecond: 2, prefillTokensPerSecond: 10 }),
    ]);
    const row = markdownTable(summary).split('\n')[2];
    expect(row).toBe('| e2b-q4_0 | cross-origin isolated | 2 | 2 | 5.00 | 2.00 | 2.50x | 30.00 | 10.00 | 3.00x | 11.0 | 10.5 |');
  });

  it('reports an engine that never loaded as "failed: <reason>" instead of numbers', () => {
    const fail: Run = { model: 'e4b-q4_0', engine: 'wllama', isolated: false, rep: 0, ok: false, error: 'RuntimeError: Aborted(OOM) | more', detail: {} };
    const table = markdownTable(summarize([{ ...run('ours', false, 0, 2, 8, 1), model: 'e4b-q4_0' }, fail]));
    expect(table.split('\n')[2]).toBe('| e4b-q4_0 | not isolated | 1 | - | 2.00 | failed: RuntimeError: Aborted(OOM) / more | - | 8.00 | - | - | 10.0 | - |');
  });

  it('notes prompts of different lengths', () => {
    const table = markdownTable(summarize([run('ours', true, 0, 1, 1), { ...run('wllama', true, 0, 1, 1), promptTokens: 63 }]));
    expect(table).toContain('prompt lengths differ (ours 64, wllama 63 tokens)');
  });
});
