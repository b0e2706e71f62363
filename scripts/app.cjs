#!/usr/bin/env node
/**
 * The cdktf app (cdktf.json "app": `node scripts/app.cjs`): runs main.ts compiled to plain
 * JavaScript, so `npx cdktf synth` does not pay a TypeScript loader at start-up (tsx: a second
 * node process plus an esbuild service, ~2 s on the 2-core CI machine; issue 14).
 *
 * main.ts and the project files it imports are bundled by esbuild into dist/app/main.js, rebuilt
 * only when a file that went into it changed (scripts/compiled.cjs, shared with `npm run verify`).
 *
 * FARCAR_APP_LOADER=tsx runs main.ts through tsx instead, as before (e.g. to debug with source maps).
 */
"use strict";
const path = require("node:path");
const { load } = require("./compiled.cjs");

load({ outdir: path.resolve(__dirname, "..", "dist", "app"), entries: { main: "main.ts" }, tsxVariable: "FARCAR_APP_LOADER" });
