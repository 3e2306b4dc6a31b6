// Strict UTF-8 decoding for GGUF strings: invalid bytes are reported, never replaced.

const longDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decodes UTF-8 strictly (no replacement characters, BOM kept); undefined when the bytes are not valid UTF-8.
 * Short strings, the bulk of a vocabulary, take a hand-written path that avoids TextDecoder's per-call cost.
 */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number): string | undefined {
  if (end - start > 64) {
    try {
      return longDecoder.decode(bytes.subarray(start, end));
    } catch {
      return undefined;
    }
  }
  let i = start;
  while (i < end && bytes[i] < 0x80) i++;
  if (i === end) return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  const units: number[] = [];
  for (let k = start; k < i; k++) units.push(bytes[k]);
  while (i < end) {
    const c = bytes[i];
    if (c < 0x80) {
      units.push(c);
      i++;
      continue;
    }
    let extra: number;
    let cp: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) {
      extra = 1;
      cp = c & 0x1f;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      extra = 2;
      cp = c & 0x0f;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      extra = 3;
      cp = c & 0x07;
      min = 0x10000;
    } else {
      return undefined;
    }
    if (i + extra >= end) return undefined;
    for (let k = 1; k <= extra; k++) {
      const cc = bytes[i + k];
      if ((cc & 0xc0) !== 0x80) return undefined;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
    if (cp < 0x10000) units.push(cp);
    else units.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
    i += extra + 1;
  }
  return String.fromCharCode.apply(null, units);
}
