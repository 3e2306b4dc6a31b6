// Lint: TypeScript rules plus the one-way import directions of docs/ARCHITECTURE.md §2.
import tseslint from 'typescript-eslint';

// For each src/ folder (and workers/), the other top-level folders it may import values from.
// `reference` may import types from anywhere (checked with allowTypeImports) but values only from itself.
const allowed = {
  gguf: [],
  gpu: [],
  kernels: ['gpu'],
  reference: [],
  cpu: ['gguf'],
  model: ['kernels', 'gpu', 'gguf', 'cpu'],
  // runtime sees token ids and model types only: GPU work happens behind model/generator.ts's TokenGenerator.
  runtime: ['model', 'gguf'],
  storage: ['gguf'],
  api: [],
  engine: ['runtime', 'model', 'cpu', 'kernels', 'gpu', 'gguf', 'storage', 'api'],
  app: ['api', 'embed', 'pwa'],
  // embed/ imports workers/ only as a URL (`?worker&url`) to start the engine worker from a page of any origin.
  embed: ['api', 'workers'],
  pwa: ['api'],
  workers: ['engine', 'api'],
};
// Folders a layer may import types (only) from, besides reference: the CPU path reads GemmaConfig and friends.
const typesFrom = { cpu: ['model'] };
const layers = [...Object.keys(allowed), 'scripts', 'e2e'];
// Single files a folder may import from an otherwise forbidden folder: the page-side API builds web-llm's
// prebuiltAppConfig from the model registry (plain data, no storage code); model/cpu-generator.ts samples with the
// CPU sampler, whose home is the reference (one implementation, not two).
const allowedFiles = { api: ['storage/registry'], model: ['reference/sample'] };
// Worker entry points that live in api/ under web-llm's module names: they follow the workers/ rules.
const WORKER_ENTRIES = ['src/api/webllm-worker.ts'];

// Value imports into forbidden folders are errors; type-only imports of the CPU reference's types are allowed
// anywhere (the model builds reference weights). Tests (*.test.ts) are composition roots and are not restricted.
function restrictionsFor(folder) {
  const forbidden = layers.filter((l) => l !== folder && !allowed[folder].includes(l));
  const message = `${folder}/ may not import from these folders (see docs/ARCHITECTURE.md §2).`;
  const exceptions = (allowedFiles[folder] ?? []).map((f) => f.split('/'));
  const name = (l) => {
    const files = exceptions.filter(([dir]) => dir === l).map(([, file]) => file);
    return files.length ? `${l}(?!/(${files.join('|')})(\\.js)?$)` : l;
  };
  const pattern = (names, allowTypeImports) => ({ regex: `(^|/)(${names.map(name).join('|')})(/|$)`, message, allowTypeImports });
  const typeOnly = ['reference', ...(typesFrom[folder] ?? [])];
  const patterns = [pattern(forbidden.filter((l) => !typeOnly.includes(l)), folder === 'reference')];
  const typeOnlyForbidden = typeOnly.filter((l) => forbidden.includes(l));
  if (typeOnlyForbidden.length) patterns.push(pattern(typeOnlyForbidden, true));
  return {
    files: [folder === 'workers' ? 'workers/**/*.ts' : `src/${folder}/**/*.ts`],
    ignores: ['**/*.test.ts', ...(folder === 'api' ? WORKER_ENTRIES : [])],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] },
  };
}

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.cache/**', 'test-results/**', '.benchkit/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  ...Object.keys(allowed).map(restrictionsFor),
  { ...restrictionsFor('workers'), files: WORKER_ENTRIES },
);
