import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './test/chromium.js';

// The CPU kernels' tests run with relaxed SIMD on: Node 20 ships it behind a flag (Node 21+ by default), and its
// baseline compiler Liftoff miscomputes relaxed dot products, so the optimizing tier is forced (perf-notes §10).
const nodeMajor = Number(process.versions.node.split('.')[0]);
const CPU_EXEC_ARGV = [...(nodeMajor < 21 ? ['--experimental-wasm-relaxed-simd'] : []), '--no-liftoff'];

// Two projects: `node` runs *.test.ts beside the source without a GPU; `gpu` runs *.gpu.test.ts in headless
// Chromium with WebGPU (SwiftShader on machines without a GPU). A GPU test without WebGPU fails, never skips.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['src/**/*.test.ts', 'scripts/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['**/*.gpu.test.ts', 'node_modules/**', 'src/cpu/**'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: 'cpu',
          include: ['src/cpu/**/*.test.ts'],
          exclude: ['**/*.gpu.test.ts'],
          environment: 'node',
          pool: 'forks',
          execArgv: CPU_EXEC_ARGV,
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['e2e/**/*.e2e.test.ts'],
          environment: 'node',
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'gpu',
          include: ['src/**/*.gpu.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({ launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS } }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
});
