#!/usr/bin/env node
// The `farcar` bin (package.json "bin"): cli/main.ts run as plain JavaScript, bundled by esbuild
// into dist/cli/ and rebuilt only when a file that went into it changed (scripts/compiled.cjs, as
// `npx cdktf synth` and `npm run verify` run). Loading the CLI through tsx cost ~1.5 s of CPU at
// every start on the 2-core machine, a third of `npx farcar synth` (issue 14). It works from a
// fresh clone after `npm ci` with no build step. FARCAR_CLI_LOADER=tsx runs cli/main.ts through
// tsx instead (e.g. to debug with source maps).
"use strict";
// cdktf and Terraform phone home to checkpoint-api.hashicorp.com unless this is set; offline it
// only prints `getaddrinfo ENOTFOUND` (https://developer.hashicorp.com/terraform/cli/commands#upgrade-and-security-bulletin-checks).
if (!process.env.CHECKPOINT_DISABLE) process.env.CHECKPOINT_DISABLE = "1";
const path = require("node:path");
const { load } = require("../scripts/compiled.cjs");

load({
  outdir: path.join(__dirname, "..", "dist", "cli"),
  // `isolation`: what `farcar verify`'s worker threads load, next to the bundle (verify/parallel.ts).
  entries: { main: "cli/main.ts", isolation: "verify/isolation.ts" },
  tsxVariable: "FARCAR_CLI_LOADER",
})
  .run(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  })
  .catch((err) => {
    process.stderr.write(`farcar: internal error (please report): ${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 1;
  });
