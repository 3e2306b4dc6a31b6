// Shared by the app, PWA and embed journeys: a tiny random-weight Gemma 4 GGUF (Q8_0) written to a temp folder.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GgmlType } from '../src/gguf/types.js';
import { SHAPES, generateFixture, uniformMix } from '../scripts/fixtures/gemma-fixture.js';
import { writeGgufFile } from '../scripts/gguf-file-writer.js';

// A 2048-token context: the app declares its three demo tools in every prompt, and their schemas spelled in the
// fixture's small byte-level vocabulary take several hundred tokens.
export async function writeTinyModel(seed = 5): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'app-e2e-'));
  const fx = generateFixture({ shape: { ...SHAPES.tiny, contextLength: 2048 }, mix: uniformMix(GgmlType.Q8_0), seed });
  const file = join(dir, 'tiny.gguf');
  await writeGgufFile(file, fx.spec, fx.tensorData);
  return { dir, file };
}
