import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Property tests run 1000 cases each; give them room on a shared 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
