import { defineConfig } from 'vitest/config';

// One file per feature under test/, mirroring the source folders.
// Timeouts are generous because CI has 2 cores and some tests spawn
// bcftools/samtools or start real gRPC servers; performance is measured
// by `npm run bench`, never by test timeouts.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['dist/**', 'node_modules/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
