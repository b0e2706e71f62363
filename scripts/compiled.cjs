"use strict";
/**
 * Project TypeScript run as plain JavaScript, with no TypeScript loader at start-up (tsx costs a
 * second node process plus an esbuild service, ~1 s of CPU per process or worker thread on the
 * 2-core CI machine; issue 14). Used by scripts/app.cjs (`npx cdktf synth`), cli/farcar.js
 * (`npx farcar`) and scripts/run-verify.cjs (`npm run verify`), through `load`.
 *
 * `compiled({ outdir, entries })` bundles each entry point and the project files it imports with
 * esbuild into `outdir/<name>.js` (npm packages stay external: loaded from node_modules as usual)
 * and returns the output paths. The bundles are rebuilt only when a file that went into them
 * changed (size or mtime, recorded in `outdir/inputs.json`) or the entry points differ, which
 * takes ~0.3 s; else they are reused as they are. Each output is self-contained (no shared chunks),
 * written under a temporary name and renamed, so a process starting at the same moment never loads
 * a half-written file. Type-checking is not this module's job: `npm test` runs `tsc --noEmit`.
 */
const { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } = require("node:fs");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");

function stamp(file) {
  try {
    const s = statSync(file);
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return "missing";
  }
}

/** `outdir/<name>.js` for every entry, from an earlier build if every file that went into it is unchanged. */
function compiled({ outdir, entries, root = ROOT }) {
  const outputs = Object.fromEntries(Object.keys(entries).map((name) => [name, path.join(outdir, `${name}.js`)]));
  const record = path.join(outdir, "inputs.json");
  if (!fresh(record, entries, outputs, root)) build(record, entries, outdir, root);
  return outputs;
}

/** The bundles are fresh when they exist, were built from these entries, and every recorded input is unchanged. */
function fresh(record, entries, outputs, root) {
  if (!Object.values(outputs).every((f) => existsSync(f))) return false;
  try {
    const previous = JSON.parse(readFileSync(record, "utf8"));
    if (JSON.stringify(previous.entries) !== JSON.stringify(entries)) return false;
    return Object.entries(previous.inputs).every(([file, s]) => stamp(path.join(root, file)) === s);
  } catch {
    return false;
  }
}

function build(record, entries, outdir, root) {
  const esbuild = require("esbuild");
  mkdirSync(outdir, { recursive: true });
  const result = esbuild.buildSync({
    entryPoints: Object.fromEntries(Object.entries(entries).map(([name, file]) => [name, path.resolve(root, file)])),
    absWorkingDir: root,
    bundle: true,
    packages: "external",
    platform: "node",
    target: "node20",
    format: "cjs",
    outdir,
    write: false,
    metafile: true,
    logLevel: "warning",
  });
  const inputs = {};
  for (const file of Object.keys(result.metafile.inputs)) inputs[file] = stamp(path.join(root, file));
  for (const out of result.outputFiles) {
    writeFileSync(`${out.path}.${process.pid}.tmp`, out.contents);
    renameSync(`${out.path}.${process.pid}.tmp`, out.path);
  }
  // The record last: a build interrupted before this point is rebuilt next time.
  writeFileSync(`${record}.${process.pid}.tmp`, JSON.stringify({ entries, inputs }));
  renameSync(`${record}.${process.pid}.tmp`, record);
}

/**
 * The exports of entry `main` of `entries`, compiled (see `compiled`). Through tsx instead — the
 * TypeScript as it is, e.g. to debug with source maps — when the environment variable `tsxVariable`
 * is "tsx", or when this user cannot write `outdir` (a checkout installed by another user; said on
 * stderr, since start-up is then ~1 s slower).
 */
function load({ outdir, entries, main = "main", tsxVariable, root = ROOT }) {
  const viaTsx = () => {
    require("tsx/cjs/api").register();
    return require(path.resolve(root, entries[main]));
  };
  if (tsxVariable && process.env[tsxVariable] === "tsx") return viaTsx();
  let outputs;
  try {
    outputs = compiled({ outdir, entries, root });
  } catch (err) {
    if (!err || !["EACCES", "EPERM", "EROFS"].includes(err.code)) throw err;
    process.stderr.write(`farcar: cannot write ${outdir} (${err.code}); running ${entries[main]} through tsx, ~1 s slower to start\n`);
    return viaTsx();
  }
  return require(outputs[main]);
}

module.exports = { compiled, load, ROOT };
