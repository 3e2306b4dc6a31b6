// summarizeTimings: per-layer op names fold into one row per kernel and tensor, sorted by time, with shares.
import { describe, expect, it } from 'vitest';
import { summarizeTimings } from './profile.js';

describe('summarizeTimings', () => {
  it('folds layer numbers and part suffixes, sums, sorts and computes shares', () => {
    const rows = summarizeTimings([
      { name: 'matvec blk.3.ffn_down.weight', ms: 2 },
      { name: 'matvec blk.12.ffn_down.weight', ms: 3 },
      { name: 'matvec token_embd.weight[0+131072]', ms: 4 },
      { name: 'matvec token_embd.weight[131072+131072]', ms: 4 },
      { name: 'geglu', ms: 1 },
      { name: 'matvec blk.3.ffn_gate.weight+blk.3.ffn_up.weight', ms: 6 },
    ]);
    expect(rows.map((r) => [r.name, r.count, r.ms])).toEqual([
      ['matvec token_embd.weight', 2, 8],
      ['matvec blk.*.ffn_gate.weight+blk.*.ffn_up.weight', 1, 6],
      ['matvec blk.*.ffn_down.weight', 2, 5],
      ['geglu', 1, 1],
    ]);
    expect(rows.reduce((s, r) => s + r.share, 0)).toBeCloseTo(1, 12);
    expect(rows[0].share).toBeCloseTo(8 / 20, 12);
  });

  it('handles an empty profile', () => {
    expect(summarizeTimings([])).toEqual([]);
  });
});
