import { defineConfig } from 'vite';

// The app (index.html) and the engine worker; WGSL shaders are imported as text with `?raw`.
// Dependencies are pre-bundled up front so the dev server never reloads a page mid-test to add one.
export default defineConfig({
  worker: { format: 'es' },
  server: { host: '127.0.0.1' },
  optimizeDeps: {
    include: ['comlink', 'idb-keyval', '@huggingface/jinja'],
    entries: ['index.html', 'e2e/pages/*.html'],
  },
  build: { target: 'es2022' },
});
