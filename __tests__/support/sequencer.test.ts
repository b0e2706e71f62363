/**
 * The test sequencer (support/sequencer.js) starts the known-slow files first on a clean clone,
 * and defers to the durations Jest recorded once it has them.
 */
import { existsSync } from "node:fs";
import * as path from "node:path";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const SlowFirstSequencer = require("./sequencer");
const EXPECTED_SECONDS: Record<string, number> = SlowFirstSequencer.EXPECTED_SECONDS;
const ROOT = path.resolve(__dirname, "../..");

/** Jest's Test objects, as far as the sequencer reads them: no cache (a clean clone), file sizes from the haste map. */
function tests(files: Record<string, number>) {
  const context = { config: { rootDir: ROOT, cache: false }, hasteFS: { getSize: (p: string) => files[path.relative(ROOT, p)] } };
  return Object.keys(files).map((f) => ({ path: path.join(ROOT, f), context }));
}
const order = (sorted: Array<{ path: string }>) => sorted.map((t) => path.relative(ROOT, t.path));

test("without recorded durations: the listed slow files first, slowest first, then the rest by size", () => {
  const sorted = new SlowFirstSequencer().sort(
    tests({
      "__tests__/rules/logs.test.ts": 9000, // large but fast: after every listed file
      "__tests__/sidecar/bundle.test.ts": 100,
      "__tests__/terraform/example-fleet.test.ts": 100,
      "__tests__/config/fleet-names.test.ts": 50,
    }),
  );
  expect(order(sorted)).toEqual(["__tests__/terraform/example-fleet.test.ts", "__tests__/sidecar/bundle.test.ts", "__tests__/rules/logs.test.ts", "__tests__/config/fleet-names.test.ts"]);
});

test("a duration Jest recorded wins over the table", () => {
  const sequencer = new SlowFirstSequencer();
  const t = tests({ "__tests__/cli.test.ts": 1, "__tests__/terraform/example-fleet.test.ts": 1 });
  sequencer._cache.set(t[0].context, { [t[0].path]: [1, 60_000] }); // cli.test took a minute last time
  expect(order(sequencer.sort(t))).toEqual(["__tests__/cli.test.ts", "__tests__/terraform/example-fleet.test.ts"]);
});

test("every file the table names exists (a renamed file would silently lose its place)", () => {
  expect(Object.keys(EXPECTED_SECONDS).filter((f) => !existsSync(path.join(ROOT, f)))).toEqual([]);
});
