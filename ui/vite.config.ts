/** Builds the web UI into ui/dist (or DUCKTRACE_UI_OUT_DIR); `npm run ui:dev` serves it with the API proxied. */
import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const api = process.env.DUCKTRACE_API ?? 'http://127.0.0.1:16686';

export default defineConfig({
  root,
  plugins: [preact()],
  build: {
    outDir: process.env.DUCKTRACE_UI_OUT_DIR ?? 'dist',
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: false,
  },
  server: { proxy: { '/api': api } },
});
