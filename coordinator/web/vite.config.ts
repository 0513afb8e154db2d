/**
 * Vite build of the researcher web page: sources here, output in the
 * package's dist/web/ (served by coordinator/rest/web-page.ts at /ui/).
 * Every asset ships in the bundle (Chart.js included): no CDN, so the page
 * works on a hospital network without internet access.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/ui/',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../../dist/web', import.meta.url)),
    emptyOutDir: true,
    // Chart.js alone is ~200 kB minified; one bundle, no warning noise.
    chunkSizeWarningLimit: 1024,
    sourcemap: false,
  },
});
