// Reference of the token-mask kernel: disallowed tokens get -inf, so every sampling path (greedy, top-k/top-p, logprobs)
// ignores them. Bit i of `mask` is bit (i % 32) of word i / 32, XGrammar's bitmask layout.

/** Words an allowed-token mask over `vocabSize` tokens has. */
export const maskWords = (vocabSize: number): number => Math.ceil(vocabSize / 32);

/** Whether token `id` is allowed by `mask`. */
export const maskAllows = (mask: ArrayLike<number>, id: number): boolean => ((mask[id >>> 5] >>> (id & 31)) & 1) === 1;

/** Sets logits[offset + i] = -inf for every i < vocabSize whose bit is clear, in place; returns `logits`. */
export function applyTokenMask<T extends Float32Array | Float64Array>(logits: T, mask: ArrayLike<number>, vocabSize = logits.length, offset = 0): T {
  if (mask.length < maskWords(vocabSize)) throw new RangeError(`token mask has ${mask.length} words, needs ${maskWords(vocabSize)} for ${vocabSize} tokens`);
  for (let i = 0; i < vocabSize; i++) if (!maskAllows(mask, i)) logits[offset + i] = -Infinity;
  return logits;
}

/** A mask allowing exactly `ids`. */
export function maskOf(vocabSize: number, ids: Iterable<number>): Uint32Array {
  const m = new Uint32Array(maskWords(vocabSize));
  for (const id of ids) {
    if (!(Number.isInteger(id) && id >= 0 && id < vocabSize)) throw new RangeError(`token ${id} is outside [0, ${vocabSize})`);
    m[id >>> 5] |= 1 << (id & 31);
  }
  return m;
}

/** How many tokens below vocabSize `mask` allows. */
export function countAllowed(mask: ArrayLike<number>, vocabSize: number): number {
  let n = 0;
  for (let i = 0; i < vocabSize; i++) if (maskAllows(mask, i)) n++;
  return n;
}
