/**
 * Test order for Jest (jest.config.js `testSequencer`): the slowest files first, so that the two
 * workers finish together instead of one starting a 20-second Terraform file while the other idles.
 *
 * Jest's own sequencer already runs the longest files first — by the durations it recorded in its
 * cache on the previous run (and failed files before everything). On a clean CI clone there is no
 * cache, and it falls back to file size, which says little here (a 60-line file that plans a fleet
 * with Terraform takes longer than a 900-line file of in-memory assertions). This sequencer keeps
 * Jest's algorithm and only answers "how long did it take last time?" from EXPECTED_SECONDS below
 * when Jest has no recorded duration. A file missing from the table runs after the listed ones,
 * largest first: the table is a scheduling hint, never a list of what runs.
 * https://jestjs.io/docs/configuration#testsequencer-string
 * (@jest/test-sequencer: sort() orders by time(test), then file size)
 */
const path = require("node:path");
const Sequencer = require("@jest/test-sequencer").default;

/**
 * Seconds each slow file takes on the 2-core machine, quiet, two workers (measured with
 * `npx jest --json`: endTime - startTime). Only the order matters; refresh when a file's cost
 * changes a lot. Files under ~2.5 s are left out.
 */
const EXPECTED_SECONDS = {
  "__tests__/terraform/variants.test.ts": 14,
  "__tests__/module-export/terraform.test.ts": 11.3,
  "__tests__/module-export/tags-plan.test.ts": 10.4,
  "__tests__/typecheck.test.ts": 10, // 6 s with tsc's incremental record, 11 s without (a clean clone)
  "__tests__/terraform/example-fleet.test.ts": 9.2,
  "__tests__/terraform/plan-stacks.test.ts": 6.8,
  "__tests__/cli/bin.test.ts": 6.2,
  "__tests__/sidecar/bundle.test.ts": 5.0,
  "__tests__/sidecar/private-ca.test.ts": 4.8,
  "__tests__/verify/guardrails.test.ts": 4.5,
  "__tests__/cli/synth.test.ts": 4.4,
  "__tests__/verify/isolation.test.ts": 4.2,
  "__tests__/module-export/cli.test.ts": 3.8,
  "__tests__/docs/first-deployment.test.ts": 3.3,
  "__tests__/verify/sampled.test.ts": 2.9,
  "__tests__/verify/compiled.test.ts": 2.6,
  "__tests__/module-export/export.test.ts": 2.5,
};

class SlowFirstSequencer extends Sequencer {
  /** Milliseconds: recorded by Jest, else from the table, else a figure below any listed file's. */
  time(test) {
    const recorded = super.time(test);
    if (recorded != null) return recorded;
    const relative = path.relative(test.context.config.rootDir, test.path).split(path.sep).join("/");
    const expected = EXPECTED_SECONDS[relative];
    if (expected !== undefined) return expected * 1000;
    // Jest runs a file without timing information BEFORE every timed one (it might be slow). Here
    // an unlisted file is known to be fast: it gets a time below any listed file's, growing with
    // its size (1 ms per MB), so unlisted files still run largest first, as Jest would order them.
    return (test.context.hasteFS.getSize(test.path) ?? 0) / 1e6;
  }
}

module.exports = SlowFirstSequencer;
module.exports.EXPECTED_SECONDS = EXPECTED_SECONDS;
