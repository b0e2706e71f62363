/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__", "<rootDir>/envoy"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["@swc/jest", { jsc: { target: "es2022" } }] },
  // Two workers for the two cores of the CI machine (Jest's default on 2 cores is ONE worker:
  // cpus - 1). Terraform runs in child processes, so a third worker would only add contention.
  maxWorkers: 2,
  // The slowest files first, so the two workers finish together (support/sequencer.js: Jest's own
  // longest-first order, with expected durations where Jest has none recorded, as on a clean clone).
  testSequencer: "<rootDir>/__tests__/support/sequencer.js",
  // A single test gets two minutes; hooks that run Terraform for a whole fleet set their own bound
  // (support/terraform.ts also kills any terraform command after TERRAFORM_TIMEOUT_MS). The run as
  // a whole is bounded by .ci/run.
  testTimeout: 120_000,
  // Workers get 5 s (not Jest 29's hard-coded 500 ms) to exit on their own after the last file:
  // patches/jest-worker+29.7.0.patch, patches/README.md.
};
