// Vite config of the browser demo (browser/): `npm run demo:browser` serves it,
// test/browser.test.ts builds it and runs it in Chromium.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const isolated = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  root,
  // Relative asset URLs, so the built page works from any folder or static server.
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Keep gru.wasm a file served as application/wasm, never a data: URL.
    assetsInlineLimit: 0,
  },
  // Cross-origin isolated (shared memory), so the page runs the wasm kernels on Web Workers.
  server: { host: '127.0.0.1', port: 5173, headers: isolated },
  preview: { host: '127.0.0.1', port: 4173, headers: isolated },
});
