/**
 * The issuer function's code: issuer/handler.ts bundled by esbuild (like the sidecar's
 * `build:sidecar`) into `index.js` in a directory the Terraform stack zips (TerraformAsset).
 * Built once per process; the directory name carries a hash of the bundle, so the asset (and the
 * function's source_code_hash) change exactly when the code does. A process reuses the bundle an
 * earlier one built while no file that went into it changed (size and mtime, recorded next to it,
 * as scripts/app.cjs does for the app): esbuild costs ~0.5 s of CPU, a sixth of `cdktf synth` of
 * the example fleet (issue 14).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

let built: string | undefined;

/**
 * issuer/handler.ts, found from this module's directory upwards: this file runs from issuer/ (tsx,
 * jest) or compiled into dist/app/main.js (scripts/app.cjs, what `cdktf synth` runs).
 */
function handlerSource(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    for (const candidate of [path.join(dir, "handler.ts"), path.join(dir, "issuer", "handler.ts")]) {
      if (existsSync(candidate)) return candidate;
    }
    if (path.dirname(dir) === dir) throw new Error(`issuer/handler.ts not found above ${__dirname}`);
  }
}

function stamp(file: string): string {
  try {
    const s = statSync(file);
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return "missing";
  }
}

/** The bundle an earlier process built from `entry`, if every file that went into it is unchanged. */
function previousBuild(record: string): string | undefined {
  try {
    const { dir, inputs } = JSON.parse(readFileSync(record, "utf8")) as { dir: string; inputs: Record<string, string> };
    if (!existsSync(path.join(dir, "index.js"))) return undefined;
    return Object.entries(inputs).every(([file, s]) => stamp(file) === s) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** Directory holding `index.js` (handler `index.handler`). */
export function issuerBundleDir(): string {
  if (built && existsSync(path.join(built, "index.js"))) return built;
  const entry = handlerSource();
  const record = path.join(tmpdir(), `farcar-issuer-build-${createHash("sha256").update(entry).digest("hex").slice(0, 16)}.json`);
  const previous = previousBuild(record);
  if (previous) return (built = previous);
  // esbuild is loaded lazily: only stacks with a privateCa environment need it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require("esbuild") as typeof import("esbuild");
  const workingDir = path.dirname(path.dirname(entry));
  const result = esbuild.buildSync({
    entryPoints: [entry],
    absWorkingDir: workingDir,
    bundle: true,
    platform: "node",
    target: "node22", // the issuer's Lambda runtime, nodejs22.x (modules/identity/issuer.ts)
    format: "cjs",
    write: false,
    metafile: true,
    logLevel: "warning",
    legalComments: "none",
  });
  const code = result.outputFiles[0].contents;
  const dir = path.join(tmpdir(), `farcar-issuer-${createHash("sha256").update(code).digest("hex").slice(0, 16)}`);
  mkdirSync(dir, { recursive: true });
  // Written under a temporary name and renamed: a synth running at the same time never reads a half-written file.
  const tmp = `.${process.pid}.tmp`;
  writeFileSync(path.join(dir, `index.js${tmp}`), code);
  renameSync(path.join(dir, `index.js${tmp}`), path.join(dir, "index.js"));
  const inputs: Record<string, string> = {};
  for (const file of Object.keys(result.metafile.inputs)) inputs[path.resolve(workingDir, file)] = stamp(path.resolve(workingDir, file));
  writeFileSync(`${record}${tmp}`, JSON.stringify({ dir, inputs }));
  renameSync(`${record}${tmp}`, record);
  built = dir;
  return dir;
}
