// Stop strings over streamed pieces: a possible prefix is held back, the text is cut at the first match.
import { describe, expect, it } from 'vitest';
import { StopStringMatcher } from './stop.js';

function run(stops: string[], pieces: string[]) {
  const m = new StopStringMatcher(stops);
  const emitted: string[] = [];
  let stoppedAt = -1;
  pieces.forEach((p, i) => {
    const r = m.push(p);
    emitted.push(r.emit);
    if (r.stopped && stoppedAt < 0) stoppedAt = i;
  });
  emitted.push(m.flush());
  return { emitted, stoppedAt };
}

describe('StopStringMatcher', () => {
  it('cuts at a stop string split across pieces and never shows it', () => {
    const r = run(['END'], ['Hello E', 'N', 'D and more', 'x']);
    expect(r.emitted).toEqual(['Hello ', '', '', '', '']);
    expect(r.stoppedAt).toBe(2);
  });
  it('releases held text when it turns out not to be a stop string', () => {
    expect(run(['END'], ['a E', 'x', 'EN']).emitted).toEqual(['a ', 'Ex', '', 'EN']);
  });
  it('takes the earliest of several stop strings, and passes text through without any', () => {
    expect(run(['bc', 'ab'], ['xabc']).emitted.join('')).toBe('x');
    expect(run([], ['a', 'b']).emitted).toEqual(['a', 'b', '']);
  });
});
