// npx tsx scripts/bench-tokenizer.ts [--chars 2] [--runs 5]   (--chars: millions of UTF-16 units of mixed text)
// Tokenizer benchmark on the real-vocabulary fixture: GGUF header read, Tokenizer.fromGguf load time, and encode /
// decode throughput on a large mixed text (many scripts, code, emoji). Prints one JSON object, then a table.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { memorySource } from '../src/gguf/byte-source.js';
import { readGgufHeader } from '../src/gguf/reader.js';
import { Tokenizer } from '../src/runtime/tokenizer/tokenizer.js';
import { mixedText } from '../src/runtime/tokenizer/tokenizer-test-corpus.js';
import { ensureVocabFixture } from './make-vocab-fixture.js';

interface Timing {
  wallMs: number;
  cpuMs: number;
}

function timed<T>(fn: () => T): [T, Timing] {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const result = fn();
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return [result, { wallMs, cpuMs: (c.user + c.system) / 1000 }];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { chars: { type: 'string', default: '2' }, runs: { type: 'string', default: '5' } } });
  const runs = Number(values.runs);
  const path = await ensureVocabFixture();
  const bytes = readFileSync(path);
  const source = memorySource(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));

  const h0 = performance.now();
  const header = await readGgufHeader(source);
  const headerMs = performance.now() - h0;

  const loads: Timing[] = [];
  const tokenizers: Tokenizer[] = [];
  for (let i = 0; i < runs; i++) {
    const [t, timing] = timed(() => Tokenizer.fromGguf(header));
    tokenizers.push(t);
    loads.push(timing);
  }

  const text = mixedText(Math.round(Number(values.chars) * 1e6));
  const textBytes = new TextEncoder().encode(text).byteLength;
  // Cold: each run on a tokenizer that has never seen the text (empty word cache). Warm: the same text again.
  const cold: Timing[] = [];
  const warm: Timing[] = [];
  const decodes: Timing[] = [];
  let ids: number[] = [];
  for (const t of tokenizers) {
    const [out, timing] = timed(() => t.encode(text));
    ids = out;
    cold.push(timing);
    warm.push(timed(() => t.encode(text))[1]);
    decodes.push(timed(() => t.decode(ids))[1]);
  }

  const rate = (ms: number): number => +(textBytes / 1e6 / (ms / 1000)).toFixed(2);
  const coldWall = median(cold.map((t) => t.wallMs));
  const coldCpu = median(cold.map((t) => t.cpuMs));
  const warmWall = median(warm.map((t) => t.wallMs));
  const result = {
    fixture: path,
    vocabSize: tokenizers[0].vocabSize,
    runs,
    headerReadMs: Math.round(headerMs),
    loadMs: { medianWall: Math.round(median(loads.map((t) => t.wallMs))), medianCpu: Math.round(median(loads.map((t) => t.cpuMs))) },
    text: { utf16Units: text.length, utf8Bytes: textBytes, tokens: ids.length },
    encodeCold: { medianWallMs: Math.round(coldWall), medianCpuMs: Math.round(coldCpu), mbPerSec: rate(coldWall), mbPerSecCpu: rate(coldCpu), tokensPerSec: Math.round(ids.length / (coldWall / 1000)) },
    encodeWarm: { medianWallMs: Math.round(warmWall), mbPerSec: rate(warmWall), tokensPerSec: Math.round(ids.length / (warmWall / 1000)) },
    decode: { medianWallMs: Math.round(median(decodes.map((t) => t.wallMs))) },
    roundTrip: tokenizers[0].decode(ids) === text,
  };
  console.log(JSON.stringify(result));
  console.table({
    'header read, ms': result.headerReadMs,
    'fromGguf, ms (wall / cpu)': `${result.loadMs.medianWall} / ${result.loadMs.medianCpu}`,
    'text, MB UTF-8 / tokens': `${(textBytes / 1e6).toFixed(2)} / ${ids.length}`,
    'encode cold, MB/s (wall / cpu)': `${result.encodeCold.mbPerSec} / ${result.encodeCold.mbPerSecCpu}`,
    'encode cold, tokens/s': result.encodeCold.tokensPerSec,
    'encode warm, MB/s': result.encodeWarm.mbPerSec,
    'decode, ms': result.decode.medianWallMs,
  });
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
