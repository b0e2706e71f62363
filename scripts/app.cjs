#!/usr/bin/env node
/**
 * The cdktf app (cdktf.json "app": `node scripts/app.cjs`): runs main.ts compiled to plain
 * JavaScript, so `npx cdktf synth` does not pay a TypeScript loader at start-up (tsx: a second
 * node process plus an esbuild service, ~2 s on the 2-core CI machine; issue 14).
 *
 * main.ts and the project files it imports are bundled by esbuild into dist/app/main.js (npm
 * packages stay external: loaded from node_modules as usual). The bundle is rebuilt only when a
 * file that went into it changed (size or mtime, recorded next to it), which takes ~0.3 s; else
 * it is reused as is. Type-checking is not this script's job: `npm test` runs `tsc --noEmit`.
 *
 * FARCAR_APP_LOADER=tsx runs main.ts through tsx instead, as before (e.g. to debug with source maps).
 */
"use strict";
const { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } = require("node:fs");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");
const ENTRY = path.join(ROOT, "main.ts");
const OUT = path.join(ROOT, "dist", "app", "main.js");
const INPUTS = `${OUT}.inputs.json`;

function stamp(file) {
  try {
    const s = statSync(file);
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return "missing";
  }
}

/** The bundle is fresh when every file recorded as its input is unchanged. */
function fresh() {
  if (!existsSync(OUT) || !existsSync(INPUTS)) return false;
  try {
    const inputs = JSON.parse(readFileSync(INPUTS, "utf8"));
    return Object.entries(inputs).every(([file, s]) => stamp(path.join(ROOT, file)) === s);
  } catch {
    return false;
  }
}

function build() {
  const esbuild = require("esbuild");
  mkdirSync(path.dirname(OUT), { recursive: true });
  const result = esbuild.buildSync({
    entryPoints: [ENTRY],
    absWorkingDir: ROOT,
    bundle: true,
    packages: "external",
    platform: "node",
    target: "node20",
    format: "cjs",
    // Written under a temporary name and renamed: another synth starting at the same moment never
    // loads a half-written bundle.
    outfile: `${OUT}.${process.pid}.tmp`,
    metafile: true,
    logLevel: "warning",
  });
  const inputs = {};
  for (const file of Object.keys(result.metafile.inputs)) inputs[file] = stamp(path.join(ROOT, file));
  writeFileSync(`${INPUTS}.${process.pid}.tmp`, JSON.stringify(inputs));
  renameSync(`${OUT}.${process.pid}.tmp`, OUT);
  renameSync(`${INPUTS}.${process.pid}.tmp`, INPUTS);
}

if (process.env.FARCAR_APP_LOADER === "tsx") {
  require("tsx/cjs/api").register();
  require(ENTRY);
} else {
  if (!fresh()) build();
  require(OUT);
}
