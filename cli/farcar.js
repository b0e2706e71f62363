#!/usr/bin/env node
// The `farcar` bin (package.json "bin"): runs cli/main.ts through tsx's CommonJS loader, so it
// works from a fresh clone after `npm ci` with no build step.
"use strict";
// cdktf and Terraform phone home to checkpoint-api.hashicorp.com unless this is set; offline it
// only prints `getaddrinfo ENOTFOUND` (https://developer.hashicorp.com/terraform/cli/commands#upgrade-and-security-bulletin-checks).
if (!process.env.CHECKPOINT_DISABLE) process.env.CHECKPOINT_DISABLE = "1";
require("tsx/cjs/api").register();
require("./main.ts")
  .run(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  })
  .catch((err) => {
    process.stderr.write(`farcar: internal error (please report): ${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 1;
  });
