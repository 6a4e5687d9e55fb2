// Vite build of the web console: `npm run build:web` (tools/build-web.mjs) writes it to
// dist/console-web, which apps/console serves at `/`.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const webRoot = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: webRoot,
  base: '/',
  plugins: [react()],
  publicDir: false,
  build: {
    outDir: fileURLToPath(new URL('../../../dist/console-web', import.meta.url)),
    emptyOutDir: true,
    // One page for operators on any current browser; the MQTT.js bundle is most of the weight.
    chunkSizeWarningLimit: 1024,
  },
});
