// npx tsx scripts/make-vocab-fixture.ts [--out FILE.gguf]
// Writes the tokenizer fixture: a metadata-only GGUF (general.architecture "gemma4", no tensors) carrying the
// real 262,144-token Gemma 4 vocabulary and merges (from vocab-from-lenml.ts). Default: .cache/fixtures/.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { GgufValueType } from '../src/gguf/types.js';
import type { GgufWriteSpec } from '../src/gguf/writer.js';
import { writeGgufFile } from './gguf-file-writer.js';
import { gemma4TokenizerMetadata } from './vocab-from-lenml.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Where tests look for the fixture; the version in the name changes whenever its content does. */
export const VOCAB_FIXTURE_PATH = resolve(REPO_ROOT, '.cache/fixtures/gemma4-vocab-v1.gguf');

/** The fixture's GGUF layout: general.* keys, the tokenizer keys, no tensors. */
export function vocabFixtureSpec(): GgufWriteSpec {
  return {
    metadata: [
      { key: 'general.architecture', type: GgufValueType.STRING, value: 'gemma4' },
      { key: 'general.name', type: GgufValueType.STRING, value: 'Gemma 4 vocabulary fixture' },
      ...gemma4TokenizerMetadata(),
    ],
    tensors: [],
  };
}

/** Writes the fixture to `path` (through a temporary file, so a concurrent reader never sees half of it). */
export async function writeVocabFixture(path: string = VOCAB_FIXTURE_PATH): Promise<number> {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    const size = await writeGgufFile(tmp, vocabFixtureSpec(), () => new Uint8Array(0));
    renameSync(tmp, path);
    return size;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Returns the fixture's path, generating it first when it is missing. */
export async function ensureVocabFixture(path: string = VOCAB_FIXTURE_PATH): Promise<string> {
  if (!existsSync(path)) await writeVocabFixture(path);
  return path;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  const out = resolve(values.out ?? VOCAB_FIXTURE_PATH);
  const bytes = await writeVocabFixture(out);
  console.log(JSON.stringify({ out, bytes }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => {
    console.error(`error: ${(e as Error).message}`);
    process.exit(1);
  });
}
