#!/usr/bin/env node
/**
 * `npm run verify` (package.json): scripts/verify.ts run as plain JavaScript — the command and its
 * worker threads — with no TypeScript loader at start-up (scripts/compiled.cjs, as `npx cdktf
 * synth` runs main.ts). tsx in the main thread and in each worker cost ~1 s of CPU apiece on the
 * 2-core machine, a third of the command's wall time (issue 14).
 *
 * Two bundles in dist/verify/: `verify.js` (the command) and `isolation.js` (what each worker loads:
 * verify/parallel.ts starts its workers on the `isolation` module next to its own file, which is
 * this bundle when it runs from dist/verify/verify.js). `npx tsx scripts/verify.ts` runs the
 * TypeScript as it is (e.g. to debug with source maps).
 */
"use strict";
const path = require("node:path");
const { load, ROOT } = require("./compiled.cjs");

load({
  outdir: path.join(ROOT, "dist", "verify"),
  entries: { verify: "scripts/verify.ts", isolation: "verify/isolation.ts" },
  main: "verify",
}).cli();
