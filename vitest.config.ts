import { defineConfig } from 'vitest/config';

// Node tests: *.test.ts beside the source (no GPU). GPU tests (*.gpu.test.ts) run in Chromium (see below).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['src/**/*.test.ts', 'scripts/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['**/*.gpu.test.ts', 'node_modules/**'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
