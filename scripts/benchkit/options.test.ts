// The kit runner's options: defaults, and a KitUsageError (code BAD_OPTION) naming the option for each bad value.
import { describe, expect, it } from 'vitest';
import { KitUsageError, parseBenchOptions } from './options.js';

describe('kit runner options', () => {
  it('defaults to the four full-size models, prompts 512 and 64, 32 decode tokens, the tiny logits checks', () => {
    const o = parseBenchOptions([]);
    expect(o.models).toEqual(['e2b-q4_0', 'e2b-q4_k_m', 'e4b-q4_0', 'e4b-q4_k_m']);
    expect(o.prompts).toEqual([512, 64]);
    expect(o).toMatchObject({ decodeTokens: 32, contextLength: 4096, copyMiB: 512, profile: true, allowCpu: false, power: 'high-performance' });
    expect(o.checks).toEqual(['tiny-q4_0', 'tiny-q4_k_m']);
    expect(o.jobs).toBeGreaterThanOrEqual(1);
  });

  it('takes lists, an empty check list and flags', () => {
    const o = parseBenchOptions(['--models', 'tiny-q4_0', '--prompt', '8,4', '--check', '', '--no-profile', '--allow-cpu', '--dawn-flag', 'a', '--dawn-flag', 'b']);
    expect(o).toMatchObject({ models: ['tiny-q4_0'], prompts: [8, 4], checks: [], profile: false, allowCpu: true, dawnFlags: ['a', 'b'] });
  });

  it.each([
    [['--models', 'e2b-q4_0,e3b'], /--models: unknown model "e3b"; use e2b-q4_0/],
    [['--check', 'nope'], /--check: unknown model "nope"/],
    [['--prompt', '64,abc'], /--prompt takes a whole number from 1 to 4096, got "abc"/],
    [['--prompt', '8192'], /--prompt takes a whole number from 1 to 4096/],
    [['--prompt', '0'], /--prompt takes a whole number from 1/],
    [['--decode=-3'], /--decode takes a whole number/],
    [['--decode', '-3'], /--decode.*ambiguous/],
    [['--ctx', '4'], /--ctx takes a whole number from 16/],
    [['--jobs', '0'], /--jobs takes a whole number from 1/],
    [['--copy', '1.5'], /--copy takes a whole number/],
    [['--power', 'max'], /--power takes high-performance or low-power/],
    [['--frobnicate'], /Unknown option '--frobnicate'.*docs\/benchmarks.md/],
  ])('rejects %j', (argv, message) => {
    let error: unknown;
    try {
      parseBenchOptions(argv);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KitUsageError);
    expect((error as KitUsageError).code).toBe('BAD_OPTION');
    expect((error as Error).message).toMatch(message);
  });
});
