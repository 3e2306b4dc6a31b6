import { defineConfig } from 'vite';

// The app (index.html) and the engine worker; WGSL shaders are imported as text with `?raw`.
export default defineConfig({
  worker: { format: 'es' },
  server: { host: '127.0.0.1' },
  build: { target: 'es2022' },
});
