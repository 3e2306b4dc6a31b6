// npm run fixtures -- --shape tiny|kquant --mix F32|...|Q6_K|google-qat-q4_0|ggml-org-q4_0|q4_k_m --seed N --out FILE.gguf
// Writes a small Gemma-4-shaped GGUF with seeded random weights (streamed to disk).
import { parseArgs } from 'node:util';
import { GgmlType } from '../src/gguf/types.js';
import { REAL_MIXES, SHAPES, generateFixture, uniformMix, type TypeMix } from './fixtures/gemma-fixture.js';
import { writeGgufFile } from './gguf-file-writer.js';

export function mixByName(name: string): TypeMix {
  if (name in REAL_MIXES) return REAL_MIXES[name];
  const type = GgmlType[name as keyof typeof GgmlType];
  if (type === undefined) {
    throw new Error(`unknown --mix "${name}"; use a ggml type name (F32, Q4_K, ...) or one of ${Object.keys(REAL_MIXES).join(', ')}`);
  }
  return uniformMix(type);
}

async function main() {
  const { values } = parseArgs({
    options: {
      shape: { type: 'string', default: 'tiny' },
      mix: { type: 'string', default: 'F32' },
      seed: { type: 'string', default: '1' },
      out: { type: 'string' },
    },
  });
  const shape = SHAPES[values.shape as keyof typeof SHAPES];
  if (!shape) throw new Error(`unknown --shape "${values.shape}"; use one of ${Object.keys(SHAPES).join(', ')}`);
  if (!values.out) throw new Error('--out FILE.gguf is required');
  const fixture = generateFixture({ shape, mix: mixByName(values.mix!), seed: Number(values.seed) });
  const size = await writeGgufFile(values.out, fixture.spec, fixture.tensorData);
  console.log(JSON.stringify({ out: values.out, bytes: size, shape: shape.name, mix: values.mix, types: fixture.typeCounts }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => {
    console.error(`error: ${(e as Error).message}`);
    process.exit(1);
  });
}
