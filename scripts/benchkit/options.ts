// The kit runner's command-line options, checked before anything runs: a bad value is a KitUsageError saying
// which option and what it takes (run.sh prints it and exits 2).
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { BENCH_MODELS } from '../bench/models.js';

export class KitUsageError extends Error {
  readonly code = 'BAD_OPTION';
}

export interface BenchOptionsParsed {
  readonly models: string[];
  readonly checks: string[];
  readonly prompts: number[];
  readonly decodeTokens: number;
  readonly contextLength: number;
  readonly copyMiB: number;
  readonly profile: boolean;
  readonly out: string;
  readonly work: string;
  readonly jobs: number;
  readonly dawn: string | undefined;
  readonly dawnFlags: string[] | undefined;
  readonly power: GPUPowerPreference;
  readonly allowCpu: boolean;
}

export const DEFAULT_MODELS = 'e2b-q4_0,e2b-q4_k_m,e4b-q4_0,e4b-q4_k_m';
export const defaultJobs = () => Math.max(1, availableParallelism() - 2);

function modelList(option: string, value: string): string[] {
  const names = value.split(',').filter(Boolean);
  for (const n of names) {
    if (!BENCH_MODELS[n]) throw new KitUsageError(`--${option}: unknown model "${n}"; use ${Object.keys(BENCH_MODELS).join(', ')}`);
  }
  return names;
}

function integer(option: string, value: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < min || n > max) throw new KitUsageError(`--${option} takes a whole number from ${min} to ${max}, got "${value}"`);
  return n;
}

export function parseBenchOptions(argv: string[]): BenchOptionsParsed {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        models: { type: 'string', default: DEFAULT_MODELS },
        prompt: { type: 'string', default: '512,64' },
        decode: { type: 'string', default: '32' },
        ctx: { type: 'string', default: '4096' },
        copy: { type: 'string', default: '512' },
        'no-profile': { type: 'boolean', default: false },
        check: { type: 'string', default: 'tiny-q4_0,tiny-q4_k_m' },
        out: { type: 'string', default: 'benchkit-out' },
        work: { type: 'string', default: '/tmp/benchkit-models' },
        jobs: { type: 'string' },
        dawn: { type: 'string' },
        'dawn-flag': { type: 'string', multiple: true },
        power: { type: 'string', default: 'high-performance' },
        'allow-cpu': { type: 'boolean', default: false },
      },
    });
  } catch (e) {
    throw new KitUsageError(`${(e as Error).message} (see docs/benchmarks.md for the options)`);
  }
  const v = parsed.values;
  const contextLength = integer('ctx', v.ctx!, 16);
  const prompts = v.prompt!.split(',').map((p) => integer('prompt', p, 1, contextLength));
  if (v.power !== 'high-performance' && v.power !== 'low-power') throw new KitUsageError(`--power takes high-performance or low-power, got "${v.power}"`);
  const copyMiB = integer('copy', v.copy!, 1, 4096);
  return {
    models: modelList('models', v.models!),
    checks: modelList('check', v.check!),
    prompts,
    decodeTokens: integer('decode', v.decode!, 1),
    contextLength,
    copyMiB,
    profile: !v['no-profile'],
    out: v.out!,
    work: v.work!,
    jobs: v.jobs === undefined ? defaultJobs() : integer('jobs', v.jobs, 1, 1024),
    dawn: v.dawn,
    dawnFlags: v['dawn-flag'],
    power: v.power,
    allowCpu: v['allow-cpu']!,
  };
}
