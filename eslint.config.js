// Lint: TypeScript rules plus the one-way import directions of docs/ARCHITECTURE.md §2.
import tseslint from 'typescript-eslint';

// For each src/ folder (and workers/), the other top-level folders it may import values from.
// `reference` may import types from anywhere (checked with allowTypeImports) but values only from itself.
const allowed = {
  gguf: [],
  gpu: [],
  kernels: ['gpu'],
  reference: [],
  model: ['kernels', 'gpu', 'gguf'],
  runtime: ['model', 'kernels', 'gpu', 'gguf'],
  storage: ['gguf'],
  api: [],
  engine: ['runtime', 'model', 'kernels', 'gpu', 'gguf', 'storage', 'api'],
  app: ['api'],
  embed: ['api'],
  pwa: ['api'],
  workers: ['engine', 'api'],
};
const layers = [...Object.keys(allowed), 'scripts', 'e2e'];

// Tests (*.test.ts) may also use the fixture generators in scripts/ and the CPU reference.
function restrictionsFor(folder, tests) {
  const forbidden = layers.filter((l) => l !== folder && !allowed[folder].includes(l) && !(tests && (l === 'scripts' || l === 'reference')));
  const root = folder === 'workers' ? 'workers' : `src/${folder}`;
  return {
    files: [tests ? `${root}/**/*.test.ts` : `${root}/**/*.ts`],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [{
          regex: `(^|/)(${forbidden.join('|')})(/|$)`,
          message: `${folder}/ may not import from these folders (see docs/ARCHITECTURE.md §2).`,
          allowTypeImports: folder === 'reference',
        }],
      }],
    },
  };
}

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.cache/**', 'test-results/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  ...Object.keys(allowed).map((folder) => restrictionsFor(folder, false)),
  ...Object.keys(allowed).map((folder) => restrictionsFor(folder, true)),
);
