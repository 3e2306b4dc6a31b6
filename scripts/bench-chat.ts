// npm run bench:chat [-- --decode 48 --rounds 3]
// Per-token overhead of the streaming chat path: decode tokens/s of the bare token-generator loop vs
// chat.completions streaming through the worker, on the tiny Q8_0 fixture, in one Chromium page. Prints JSON and a line.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GgmlType } from '../src/gguf/types.js';
import { startHarness } from './browser-harness.js';
import { SHAPES, generateFixture, uniformMix } from './fixtures/gemma-fixture.js';
import { writeGgufFile } from './gguf-file-writer.js';

const { values } = parseArgs({ options: { decode: { type: 'string', default: '48' }, rounds: { type: 'string', default: '3' } } });
const dir = await mkdtemp(join(tmpdir(), 'bench-chat-'));
const f = generateFixture({ shape: SHAPES.tiny, mix: uniformMix(GgmlType.Q8_0), seed: 5 });
await writeGgufFile(join(dir, 'tiny.gguf'), f.spec, f.tensorData);
const h = await startHarness({ onConsole: (t) => /error/i.test(t) && console.error(`[page] ${t}`) });
try {
  h.files.serve('/tiny.gguf', join(dir, 'tiny.gguf'));
  await h.page.waitForFunction(() => document.title === 'ready');
  const options = { decodeTokens: Number(values.decode), rounds: Number(values.rounds), contextLength: 512 };
  const r = (await h.page.evaluate(
    ([url, o]) => (window as never as { harness: { chatBench(u: string, o: unknown): Promise<unknown> } }).harness.chatBench(url, o),
    [`${h.files.url}/tiny.gguf`, options] as const,
  )) as { directLoopTokensPerSecond: number; streamingPageTokensPerSecond: number; streamingWorkerTokensPerSecond: number };
  console.log(JSON.stringify(r, null, 2));
  const overheadMs = 1000 / r.streamingPageTokensPerSecond - 1000 / r.directLoopTokensPerSecond;
  console.log(
    `tiny Q8_0 fixture, ${options.decodeTokens} tokens x ${options.rounds}: generator loop ${r.directLoopTokensPerSecond.toFixed(1)} tok/s, ` +
      `streaming (page) ${r.streamingPageTokensPerSecond.toFixed(1)} tok/s, (worker usage) ${r.streamingWorkerTokensPerSecond.toFixed(1)} tok/s; ` +
      `overhead ${overheadMs.toFixed(2)} ms/token`,
  );
} finally {
  await h.close();
}
