// npx tsx scripts/bench-header.ts [--case hostile|vocab]
// GGUF header reading cost: a hostile header of legal but huge metadata arrays (2^24 one-byte strings, ~151 MB)
// and the real 262,144-token vocabulary fixture (header read + decoding tokens and merges). Prints ms and the
// heap / RSS growth; run each case in its own process (`/usr/bin/time -v` for peak RSS).
import { parseArgs } from 'node:util';
import { bigMetadataGguf } from './fixtures/big-metadata.js';
import { ensureVocabFixture } from './make-vocab-fixture.js';
import { openFileSource } from './node-file-source.js';
import { memorySource } from '../src/gguf/byte-source.js';
import { getStringArray } from '../src/gguf/metadata.js';
import { readGgufHeader } from '../src/gguf/reader.js';
import { GgufValueType } from '../src/gguf/types.js';

const { values } = parseArgs({ options: { case: { type: 'string', default: 'vocab' } } });
const mb = (n: number) => Math.round(n / 1e6);

async function main() {
  const heap0 = process.memoryUsage();
  if (values.case === 'hostile') {
    const file = bigMetadataGguf([{ key: 'junk.strings', elementType: GgufValueType.STRING, count: 1 << 24, text: 'a' }]);
    const t0 = performance.now();
    const header = await readGgufHeader(memorySource(file));
    const ms = performance.now() - t0;
    const m = process.memoryUsage();
    console.log(JSON.stringify({ case: 'hostile', fileMB: mb(file.byteLength), keys: header.metadata.size, headerReadMs: Math.round(ms), heapGrowthMB: mb(m.heapUsed - heap0.heapUsed), rssGrowthMB: mb(m.rss - heap0.rss) }));
    return;
  }
  const path = await ensureVocabFixture();
  const source = await openFileSource(path);
  const t0 = performance.now();
  const header = await readGgufHeader(source);
  const readMs = performance.now() - t0;
  const tokens = getStringArray(header, 'tokenizer.ggml.tokens');
  const merges = getStringArray(header, 'tokenizer.ggml.merges');
  const totalMs = performance.now() - t0;
  const m = process.memoryUsage();
  console.log(JSON.stringify({ case: 'vocab', tokens: tokens.length, merges: merges.length, headerReadMs: Math.round(readMs), withTokensAndMergesMs: Math.round(totalMs), heapGrowthMB: mb(m.heapUsed - heap0.heapUsed) }));
  await source.close();
}

void main();
