// wllama's side of `npm run bench:peers`, run inside the harness page: llama.cpp compiled to wasm (@wllama/wllama)
// loads gguf-split shards of the same generated file our CPU path reads, CPU only, then runs one greedy completion
// of a text prompt as long in tokens as our path's (scripts/bench/peers-prompt.ts). Speeds are llama.cpp's own
// timings.
import { Wllama } from '@wllama/wllama';
import wllamaWasmUrl from '@wllama/wllama/esm/wasm/wllama.wasm?url';

export interface WllamaBenchOptions {
  /** Text that tokenizes to the benchmark's prompt length with BOS (wllama's completion takes text only). */
  readonly promptText: string;
  /** Ids kept out of the greedy choice by a logit bias (byte pieces, which llama.cpp cannot put in its JSON). */
  readonly bannedTokenIds: readonly number[];
  readonly decodeTokens: number;
  readonly contextLength: number;
  /** Threads asked for; wllama uses one when the page cannot share memory (not cross-origin isolated). */
  readonly threads: number;
  /** Keep llama.cpp's info lines too (the last 200 come back in `log`); its warnings and errors are always kept. */
  readonly verbose?: boolean;
}

interface LlamaTimings {
  prompt_n: number;
  prompt_ms: number;
  predicted_n: number;
  predicted_ms: number;
}

const describe = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

/** Shard file names as wllama expects them (it orders files by these). */
const shardName = (i: number, n: number) => `model-${String(i + 1).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.gguf`;

/**
 * A read-only Blob over an HTTP file, reading byte ranges on demand: wllama reads model files through
 * Blob.slice().arrayBuffer() (its JSPI build, which Chromium runs), so it reads the same file server by range as our
 * CPU path does. Real Blobs of the E2B shards could not be built here (fetch().blob() failed with net::ERR_FAILED
 * in the harness's incognito-like browser context), and loadModelFromUrl would first copy every shard into OPFS.
 */
function rangeBlob(url: string, size: number, name: string, start = 0): Blob {
  const view = {
    name,
    size,
    type: '',
    slice(from = 0, to = size) {
      const a = Math.min(Math.max(0, from), size);
      const b = Math.min(Math.max(a, to), size);
      return rangeBlob(url, b - a, name, start + a);
    },
    async arrayBuffer() {
      if (size === 0) return new ArrayBuffer(0);
      const r = await fetch(url, { headers: { Range: `bytes=${start}-${start + size - 1}` } });
      if (r.status !== 206) throw new Error(`reading ${url} [${start}, +${size}): HTTP ${r.status}, not 206`);
      const buffer = await r.arrayBuffer();
      if (buffer.byteLength !== size) throw new Error(`reading ${url} [${start}, +${size}): got ${buffer.byteLength} bytes`);
      return buffer;
    },
    stream() {
      let done = false;
      return new ReadableStream<Uint8Array>({
        pull: async (c) => {
          if (done) return c.close();
          done = true;
          c.enqueue(new Uint8Array(await view.arrayBuffer()));
        },
      });
    },
  };
  return view as unknown as Blob;
}

export async function runWllamaBench(shards: ReadonlyArray<{ url: string; size: number }>, o: WllamaBenchOptions) {
  const warnings: string[] = [];
  const lines: string[] = [];
  const keep = (...a: unknown[]) => {
    lines.push(a.map(String).join(' '));
    if (lines.length > 200) lines.shift();
  };
  const logger = {
    debug: o.verbose ? keep : () => {},
    log: o.verbose ? keep : () => {},
    warn: (...a: unknown[]) => warnings.push(a.map(String).join(' ')),
    error: (...a: unknown[]) => warnings.push(a.map(String).join(' ')),
  };
  let wllama: Wllama | undefined;
  const t0 = performance.now();
  try {
    const files = shards.map((s, i) => rangeBlob(s.url, s.size, shardName(i, shards.length)));
    wllama = new Wllama({ default: wllamaWasmUrl }, { logger, suppressNativeLog: false });
    await wllama.loadModel(files, {
      n_threads: o.threads,
      n_ctx: o.contextLength,
      n_gpu_layers: 0, // CPU only: no WebGPU device (SwiftShader would be the only one here)
      n_parallel: 1,
    });
    const loadMs = performance.now() - t0;
    const c0 = performance.now();
    // Greedy: temperature 0 and top_k 1; softcapped logits stay within ±30, so a -1000 bias removes a token.
    const result = await wllama.createCompletion({
      prompt: o.promptText,
      logit_bias: Object.fromEntries(o.bannedTokenIds.map((id) => [String(id), -1000])),
      max_tokens: o.decodeTokens + 1, // the first comes from the prompt pass; then as many decode passes as ours
      temperature: 0,
      top_k: 1,
      ignore_eos: true,
      stream: false,
      cache_prompt: false,
    } as Parameters<Wllama['createCompletion']>[0] & { stream?: false });
    const wallMs = performance.now() - c0;
    const t = result.timings as unknown as LlamaTimings | undefined;
    if (!t) throw new Error('wllama returned no timings');
    return {
      ok: true as const,
      backend: 'wllama',
      libllama: Wllama.getLibllamaVersion(),
      threads: wllama.getNumThreads(),
      multithread: wllama.isMultithread(),
      crossOriginIsolated: globalThis.crossOriginIsolated === true,
      shards: shards.length,
      fileBytes: files.reduce((s, f) => s + f.size, 0),
      loadMs,
      promptTokens: t.prompt_n,
      ttftMs: t.prompt_ms,
      prefillTokensPerSecond: t.prompt_n / (t.prompt_ms / 1000),
      decodeTokens: t.predicted_n,
      decodeTokensPerSecond: t.predicted_n / (t.predicted_ms / 1000),
      completionWallMs: wallMs,
      usage: result.usage,
      warnings,
      log: lines,
    };
  } catch (e) {
    // A failed load can surface later as a bare abort: llama.cpp's own lines say why (e.g. the 4 GiB heap is full).
    const why = warnings.filter((w) => /insufficient memory|failed to allocate|error loading model/i.test(w)).slice(0, 2);
    const error = why.length ? `${why.join('; ')} (${describe(e)})` : describe(e);
    return { ok: false as const, backend: 'wllama', error, afterMs: performance.now() - t0, warnings, log: lines };
  } finally {
    await wllama?.exit().catch(() => undefined);
  }
}
