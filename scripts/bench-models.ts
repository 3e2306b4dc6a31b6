// The benchmark model files: scripts/bench/models.ts's GGUFs (real E2B/E4B dimensions, random weights in real
// files' type mixes) generated once into .cache/bench/, shared by `npm run bench` and `npm run bench:cpu`.
import { existsSync } from 'node:fs';
import { mkdir, rename, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { benchFixture, benchModel } from './bench/models.js';
import { writeGgufFile } from './gguf-file-writer.js';
import { gemma4VocabFromLenml } from './vocab-from-lenml.js';

export { BENCH_MODELS } from './bench/models.js';

/** Bumped when the generator's output changes, so stale cached files are not reused. */
const GENERATOR_VERSION = 1;

/** The path of model `name`'s file, generating it first when it is not cached. */
export async function ensureBenchModel(name: string): Promise<string> {
  const m = benchModel(name);
  const dir = resolve('.cache/bench');
  await mkdir(dir, { recursive: true });
  const path = resolve(dir, `${name}-v${GENERATOR_VERSION}.gguf`);
  if (existsSync(path)) return path;
  const t0 = performance.now();
  const fixture = benchFixture(name, m.shape.vocabSize === 262144 ? gemma4VocabFromLenml() : undefined);
  await writeGgufFile(path + '.tmp', fixture.spec, fixture.tensorData);
  await rename(path + '.tmp', path);
  const size = (await stat(path)).size;
  console.error(`generated ${path} (${(size / 1e9).toFixed(2)} GB) in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return path;
}
