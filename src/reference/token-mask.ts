// Reference of the token-mask kernel: disallowed tokens get the reserved bit pattern MASKED_LOGIT_BITS (a NaN no
// arithmetic produces), which the samplers read as "never draw" and the logprobs as the floor. Not -inf: a NaN or an
// infinite logit from the model itself means broken weights and must stay an error (NON_FINITE_TOKEN).
// Bit i of `mask` is bit (i % 32) of word i / 32, XGrammar's bitmask layout.

/** The f32 bits the token-mask kernel writes over a disallowed logit (= MASKED_LOGIT_BITS in shaders/lib/sample-common.wgsl). */
export const MASKED_LOGIT_BITS = 0xffffffff;

/** Words an allowed-token mask over `vocabSize` tokens has. */
export const maskWords = (vocabSize: number): number => Math.ceil(vocabSize / 32);

/** Whether token `id` is allowed by `mask`. */
export const maskAllows = (mask: ArrayLike<number>, id: number): boolean => ((mask[id >>> 5] >>> (id & 31)) & 1) === 1;

/** Writes MASKED_LOGIT_BITS over logits[offset + i] for every i < vocabSize whose bit is clear, in place; returns `logits`. */
export function applyTokenMask(logits: Float32Array, mask: ArrayLike<number>, vocabSize = logits.length, offset = 0): Float32Array {
  checkMaskSize(mask, vocabSize);
  const bits = new Uint32Array(logits.buffer, logits.byteOffset, logits.length);
  for (let i = 0; i < vocabSize; i++) if (!maskAllows(mask, i)) bits[offset + i] = MASKED_LOGIT_BITS;
  return logits;
}

export function checkMaskSize(mask: ArrayLike<number>, vocabSize: number): void {
  if (mask.length < maskWords(vocabSize)) throw new RangeError(`token mask has ${mask.length} words, needs ${maskWords(vocabSize)} for ${vocabSize} tokens`);
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
