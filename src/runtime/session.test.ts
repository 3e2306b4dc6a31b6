// The session over a scripted generator: prefix reuse bookkeeping, abort before/within prefill and between decode
// steps, the forced-token test hook, a caller's stop, the context end, and the RNG step numbering.
import { describe, expect, it } from 'vitest';
import { ScriptedGenerator } from '../../test/fake-generator.js';
import { resolveSamplingParams } from './sampling-params.js';
import { Session } from './session.js';

const sampling = resolveSamplingParams({ temperature: 0 });
const base = { maxTokens: 10, sampling, stopIds: new Set([1, 106]) };

describe('Session', () => {
  it('reuses the longest cached prefix and recomputes at least the last prompt id', async () => {
    const g = new ScriptedGenerator([7, 8, 106, 9, 106]);
    const s = new Session(g);
    const r1 = await s.generate({ ...base, prompt: [2, 10, 11] });
    expect(r1).toMatchObject({ tokens: [7, 8], finishReason: 'stop', stopToken: 106, prefilledTokens: 3, reusedTokens: 0 });
    expect(s.cachedTokens).toEqual([2, 10, 11, 7, 8]); // the stop id was never fed
    const r2 = await s.generate({ ...base, prompt: [2, 10, 11, 7, 9, 12] });
    expect(r2).toMatchObject({ reusedTokens: 4, prefilledTokens: 2, tokens: [9] });
    expect(g.prefills[1]).toEqual([9, 12]);
    const r3 = await s.generate({ ...base, prompt: [2, 10, 11] });
    expect(r3.reusedTokens).toBe(2);
    const r4 = await s.generate({ ...base, prompt: [2, 10, 11], reusePrefix: false });
    expect(r4.reusedTokens).toBe(0);
  });

  it('numbers RNG steps from stepBase by generated index, whatever ran before', async () => {
    const g = new ScriptedGenerator([5, 5, 5, 106]);
    await new Session(g).generate({ ...base, prompt: [2, 3], stepBase: 100 });
    expect(g.steps.map((o) => o.step)).toEqual([100, 101, 102, 103]);
  });

  it('abort: before the prefill, inside it (the cache keeps what ran), and between decode steps', async () => {
    const g = new ScriptedGenerator([5, 5, 5]);
    const s = new Session(g);
    expect((await s.generate({ ...base, prompt: [2, 3], signal: { aborted: true } })).finishReason).toBe('abort');
    expect(g.prefills).toHaveLength(0);
    const flag = { aborted: false };
    const within = new ScriptedGenerator([5]);
    const s2 = new Session(within);
    const original = within.prefill.bind(within);
    within.prefill = (t, o) => {
      flag.aborted = true;
      return original(t, o);
    };
    const r = await s2.generate({ ...base, prompt: [2, 3, 4, 5], signal: flag });
    expect(r.finishReason).toBe('abort');
    expect(s2.cachedTokens.length).toBe(within.position);
    const flag3 = { aborted: false };
    const r3 = await new Session(new ScriptedGenerator([5, 6, 7, 8])).generate({ ...base, prompt: [2], signal: flag3, onToken: (_t, i) => void (i === 1 && (flag3.aborted = true)) });
    expect(r3).toMatchObject({ tokens: [5, 6], finishReason: 'abort' });
  });

  it('forced tokens replace the sampled ones; a caller stop ends with stop; the context end with length', async () => {
    const forced = await new Session(new ScriptedGenerator([5, 5, 5, 5])).generate({ ...base, prompt: [2], forcedTokens: [40, 41, 106] });
    expect(forced).toMatchObject({ tokens: [40, 41], finishReason: 'stop', stopToken: 106 });
    const stopped = await new Session(new ScriptedGenerator([5, 6, 7])).generate({ ...base, prompt: [2], onToken: (t) => t.token === 6 });
    expect(stopped).toMatchObject({ tokens: [5, 6], finishReason: 'stop' });
    const full = await new Session(new ScriptedGenerator([], 6)).generate({ ...base, prompt: [2, 3, 4] });
    expect(full.finishReason).toBe('length');
    expect(full.tokens.length).toBe(4); // positions 3, 4, 5 fed; the 4th token comes from position 5's logits
  });

  it('rejects an empty prompt and one that does not fit', async () => {
    const s = new Session(new ScriptedGenerator([], 4));
    await expect(s.generate({ ...base, prompt: [] })).rejects.toMatchObject({ code: 'EMPTY_PROMPT' });
    await expect(s.generate({ ...base, prompt: [1, 2, 3, 4] })).rejects.toMatchObject({ code: 'CONTEXT_WINDOW_EXCEEDED', details: { promptTokens: 4, contextWindowSize: 4 } });
  });
});
