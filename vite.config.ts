import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

// The app (index.html), the one-tag embed (dist/gemma-embed.js) and the engine worker; WGSL shaders are imported
// as text with `?raw`. `base: './'` makes the build work from any static host under any path, and lets the embed
// resolve its chunks from its own URL on a foreign page.
// Cross-origin isolation (COOP + COEP credentialless) on both servers: SharedArrayBuffer for CPU threads, while
// cross-origin model downloads (CORS) keep working.
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'credentialless' };

export default defineConfig({
  base: './',
  worker: { format: 'es' },
  server: { host: '127.0.0.1', headers: isolation },
  // The built embed is loaded by pages of other origins: its files must be served with CORS.
  preview: { host: '127.0.0.1', headers: { ...isolation, 'Access-Control-Allow-Origin': '*', 'Cross-Origin-Resource-Policy': 'cross-origin' } },
  // Dependencies are pre-bundled up front so the dev server never reloads a page mid-test to add one.
  optimizeDeps: {
    include: ['comlink', 'idb-keyval', '@huggingface/jinja', 'marked', 'dompurify', 'expr-eval-fork'],
    entries: ['index.html', 'e2e/pages/*.html'],
  },
  build: {
    target: 'es2022',
    rollupOptions: {
      input: { index: 'index.html', 'gemma-embed': 'src/embed/gemma-embed.ts' },
      preserveEntrySignatures: 'exports-only',
      output: { entryFileNames: (c) => (c.name === 'gemma-embed' ? 'gemma-embed.js' : 'assets/[name]-[hash].js') },
    },
  },
  plugins: [
    VitePWA({
      // Our own worker (src/pwa/sw.ts): the precache plus COOP/COEP on what it serves, for static hosts without headers.
      strategies: 'injectManifest',
      srcDir: 'src/pwa',
      filename: 'sw.ts',
      registerType: 'prompt',
      injectRegister: false, // src/pwa/register.ts registers it and shows the update prompt
      manifest: {
        name: 'Gemma chat — on your device',
        short_name: 'Gemma chat',
        description: 'Chat with Gemma 4 running in the browser on WebGPU; works offline once the model is cached.',
        start_url: './',
        scope: './',
        display: 'standalone',
        background_color: '#15171b',
        theme_color: '#1a62d6',
        icons: [
          { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: 'icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
          { src: 'icons/icon.svg', sizes: 'any', type: 'image/svg+xml' },
        ],
      },
      injectManifest: {
        // The app shell, the engine worker and its chunks, every WGSL file; never model weights (IndexedDB only).
        globPatterns: ['**/*.{js,css,html,wgsl,svg,png}'],
        globIgnores: ['**/*.gguf', '**/*.bin', '**/*.safetensors', '**/node_modules/**', 'sw.js'],
        maximumFileSizeToCacheInBytes: 8 * 1024 * 1024,
      },
    }),
  ],
});
