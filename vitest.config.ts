import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['harness/**/*.test.ts', 'suites/**/*.test.ts'],
    // onnxruntime-node breaks under the vm pools (typed arrays from another realm): use forks.
    pool: 'forks',
    // Suites start Python workers that import torch; two test files at once fill the two CI cores.
    maxWorkers: 2,
    testTimeout: 300_000,
    // allure results (labels, steps, attachments) land in allure-results/; `npm run report:allure` renders them
    reporters: ['default', ['allure-vitest/reporter', { resultsDir: 'allure-results' }]],
    hookTimeout: 300_000,
  },
});
