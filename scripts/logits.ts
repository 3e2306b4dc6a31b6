// npm run logits -- MODEL.gguf --tokens 2,105,... --out FILE.bin [--backend reference|webgpu|cpu] [--activations int8|f32] [--threads N]
// Runs the forward pass on exactly the given token ids (no BOS added) and writes float32 little-endian logits,
// row-major [n_tokens][n_vocab]. Prints one summary line. Bad input: a message on stderr and exit code 2; a bad
// model file (including one whose logits come out NaN or infinite): its typed error code and exit code 1.
// The browser tooling (Vite, Playwright) is imported only for --backend webgpu: it costs seconds and ~400 MB.
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { readGgufHeader } from '../src/gguf/reader.js';
import { loadGemmaConfig } from '../src/model/load-config.js';
import { loadReferenceWeights } from '../src/model/reference-weights.js';
import { createReferenceState, forwardReference } from '../src/reference/forward.js';
import { resolve } from 'node:path';
import { CpuForward } from '../src/cpu/forward.js';
import { spawnNodeWorker } from './node-cpu-threads.js';
import { openFileSource, type NodeFileSource } from './node-file-source.js';

export class UsageError extends Error {}

export interface LogitsArgs {
  model: string;
  tokens: number[];
  out: string;
  backend: 'reference' | 'webgpu' | 'cpu';
  /** CPU backend: 8-bit activations (the fast mode, default) or f32 (the reference mode). */
  activations?: 'int8' | 'f32';
  threads?: number;
}

const USAGE =
  'usage: npm run logits -- MODEL.gguf --tokens 2,105,... --out FILE.bin [--backend reference|webgpu|cpu] [--activations int8|f32] [--threads N]';

export function parseLogitsArgs(argv: string[]): LogitsArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        tokens: { type: 'string' },
        out: { type: 'string' },
        backend: { type: 'string', default: 'reference' },
        activations: { type: 'string' },
        threads: { type: 'string' },
      },
    });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError(`expected exactly one model file, got ${positionals.length}\n${USAGE}`);
  if (!values.tokens) throw new UsageError(`--tokens is required\n${USAGE}`);
  if (!values.out) throw new UsageError(`--out is required\n${USAGE}`);
  const tokens = values.tokens.split(',').map((s) => s.trim());
  if (tokens.some((t) => !/^\d+$/.test(t))) {
    throw new UsageError(`--tokens must be a comma-separated list of non-negative integers, got "${values.tokens}"`);
  }
  if (values.backend !== 'reference' && values.backend !== 'webgpu' && values.backend !== 'cpu') {
    throw new UsageError(`unknown --backend "${values.backend}" (available: reference, webgpu, cpu)`);
  }
  const cpuOnly = values.activations !== undefined || values.threads !== undefined;
  if (cpuOnly && values.backend !== 'cpu') throw new UsageError(`--activations and --threads apply to --backend cpu only\n${USAGE}`);
  if (values.activations !== undefined && values.activations !== 'int8' && values.activations !== 'f32') {
    throw new UsageError(`--activations must be int8 or f32, got "${values.activations}"`);
  }
  if (values.threads !== undefined && !/^[1-9]\d*$/.test(values.threads)) throw new UsageError(`--threads must be a positive integer, got "${values.threads}"`);
  const result: LogitsArgs = { model: positionals[0], tokens: tokens.map(Number), out: values.out, backend: values.backend };
  if (values.backend === 'cpu') {
    result.activations = (values.activations ?? 'int8') as 'int8' | 'f32';
    result.threads = Number(values.threads ?? 1);
  }
  return result;
}

export interface LogitsResult {
  nTokens: number;
  nVocab: number;
  argmaxLast: number;
}

export async function runLogits(args: LogitsArgs): Promise<LogitsResult> {
  const source = await openFileSource(args.model);
  try {
    const header = await readGgufHeader(source);
    const config = await loadGemmaConfig(source, header);
    for (const t of args.tokens) {
      if (t >= config.vocabSize) throw new UsageError(`token id ${t} is outside the vocabulary (size ${config.vocabSize})`);
    }
    if (args.tokens.length === 0) throw new UsageError('--tokens is empty');
    if (args.tokens.length > config.contextLength) {
      throw new UsageError(`${args.tokens.length} tokens exceed the model's context length ${config.contextLength}`);
    }
    const out =
      args.backend === 'webgpu' ? await webgpuLogits(args) : args.backend === 'cpu' ? await cpuLogits(args, source) : await referenceLogits(args, source);
    checkFinite(out, config.vocabSize, args.backend);
    await writeFile(args.out, new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
    const V = config.vocabSize;
    const last = out.subarray(out.length - V);
    let argmax = 0;
    for (let i = 1; i < V; i++) if (last[i] > last[argmax]) argmax = i;
    return { nTokens: out.length / V, nVocab: V, argmaxLast: argmax };
  } finally {
    await source.close();
  }
}

export class NonFiniteLogitsError extends Error {
  override readonly name = 'NonFiniteLogitsError';
  readonly code = 'NON_FINITE_LOGITS';
}

/** Refuses NaN / Inf logits: they mean broken weights (the file parses but its numbers do not), never a result. */
function checkFinite(out: Float32Array, V: number, backend: string): void {
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i])) {
      throw new NonFiniteLogitsError(
        `the ${backend} forward pass produced a non-finite logit (${out[i]}) at token ${Math.floor(i / V)}, id ${i % V}: ` +
          'the model file holds broken weights (NaN/Inf values or mistyped tensor data). Nothing was written.',
      );
    }
  }
}

async function referenceLogits(args: LogitsArgs, source: NodeFileSource): Promise<Float32Array> {
  const header = await readGgufHeader(source);
  const config = await loadGemmaConfig(source, header);
  const weights = await loadReferenceWeights(source, header, config);
  const rows = forwardReference(config, weights, createReferenceState(config), args.tokens, { logits: 'all' });
  const out = new Float32Array(rows.length * config.vocabSize);
  rows.forEach((r, i) => out.set(r, i * config.vocabSize));
  return out;
}

/** The CPU (WebAssembly) forward pass in this Node process, every row's logits. */
async function cpuLogits(args: LogitsArgs, source: NodeFileSource): Promise<Float32Array> {
  const header = await readGgufHeader(source);
  const config = await loadGemmaConfig(source, header);
  const model = await CpuForward.load(source, header, config, {
    contextLength: Math.min(config.contextLength, Math.max(16, args.tokens.length)),
    activations: args.activations,
    threads: args.threads,
    spawn: spawnNodeWorker,
  });
  try {
    const rows = await model.run(args.tokens, 'all');
    const out = new Float32Array(rows.length * config.vocabSize);
    rows.forEach((r, i) => out.set(r, i * config.vocabSize));
    return out;
  } finally {
    model.close();
  }
}

/** Runs the same computation with the WebGPU engine in headless Chromium (the model served by a Range server). */
async function webgpuLogits(args: LogitsArgs): Promise<Float32Array> {
  const { startHarness } = await import('./browser-harness.js');
  const harness = await startHarness();
  try {
    harness.files.serve('/model.gguf', resolve(args.model));
    await harness.page.waitForFunction(() => document.title === 'ready');
    type Result = { ok: true; base64: string; errors: string[] } | { ok: false; error: { code: string; message: string } };
    const r = await harness.page.evaluate(
      ([url, tokens]) => (window as never as { harness: { logits(u: string, t: number[]): Promise<Result> } }).harness.logits(url, tokens),
      [`${harness.files.url}/model.gguf`, args.tokens] as [string, number[]],
    );
    if (!r.ok) throw Object.assign(new Error(r.error.message), { code: r.error.code });
    if (r.errors.length) throw new Error(`WebGPU reported errors: ${r.errors.join('; ')}`);
    const bytes = Buffer.from(r.base64, 'base64');
    return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  } finally {
    await harness.close();
  }
}

async function main() {
  try {
    const args = parseLogitsArgs(process.argv.slice(2));
    const r = await runLogits(args);
    console.log(`n_tokens=${r.nTokens} n_vocab=${r.nVocab} argmax_last=${r.argmaxLast} backend=${args.backend} out=${args.out}`);
  } catch (e) {
    const err = e as Error & { code?: string };
    const label = e instanceof UsageError ? 'error' : `error${err.code ? ` [${err.code}]` : ''}`;
    console.error(`${label}: ${err.message}`);
    process.exit(e instanceof UsageError ? 2 : 1);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) void main();
