// Turns a mix of raw bytes (from `<0xXX>` pieces) and ready-made text into complete characters only:
// a multi-byte character split over several byte pieces is held back until its last byte arrives.

/**
 * Incremental UTF-8 assembly with WHATWG replacement (one U+FFFD per maximal invalid subsequence), so the
 * concatenation of everything it returns equals a one-shot decode of the same input.
 */
export class Utf8StreamDecoder {
  private decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
  private pending = false;
  private readonly one = new Uint8Array(1);

  /** Adds one byte; returns the characters it completes ('' while a sequence is still open). */
  pushByte(byte: number): string {
    this.one[0] = byte;
    const out = this.decoder.decode(this.one, { stream: true });
    this.pending = byte >= 0x80;
    return out;
  }

  /** Adds whole text; an open byte sequence before it is ended first (and becomes U+FFFD). */
  pushText(text: string): string {
    return this.pending ? this.flush() + text : text;
  }

  /** Ends the stream: an unfinished byte sequence becomes U+FFFD. */
  flush(): string {
    if (!this.pending) return '';
    this.pending = false;
    return this.decoder.decode();
  }
}
