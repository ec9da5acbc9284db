import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

// The console is built into dist/web, which the master serves at `/` (src/api/console-routes.ts):
// everything it needs is in the bundle, nothing is fetched from elsewhere at run time.
export default defineConfig({
  root: new URL('.', import.meta.url).pathname,
  base: '/',
  plugins: [preact()],
  build: {
    outDir: new URL('../dist/web', import.meta.url).pathname,
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 900,
  },
  server: {
    // `npx vite web` for development: the API is the master's (VIGIL_MASTER, default the demo's).
    proxy: { '/api': { target: process.env.VIGIL_MASTER ?? 'https://127.0.0.1:8080', secure: false } },
  },
});
