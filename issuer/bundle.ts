/**
 * The issuer function's code: issuer/handler.ts bundled by esbuild (like the sidecar's
 * `build:sidecar`) into `index.js` in a directory the Terraform stack zips (TerraformAsset).
 * Built once per process; the directory name carries a hash of the bundle, so the asset (and the
 * function's source_code_hash) change exactly when the code does. A process reuses the bundle an
 * earlier one built while no file that went into it changed (size and mtime, recorded next to it,
 * as scripts/compiled.cjs does for the app, the CLI and verify): esbuild costs ~0.5 s of CPU, a sixth of `cdktf synth` of
 * the example fleet (issue 14).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "../config/project-root";

let built: string | undefined;

/** issuer/handler.ts of this checkout (config/project-root.ts: also right from a bundle under dist/). */
function handlerSource(): string {
  return path.join(PROJECT_ROOT, "issuer", "handler.ts");
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

/**
 * Where this checkout's build record lives: one per handler path, so two checkouts on one machine
 * (or a CI clone next to a working copy) never read each other's record.
 */
export function issuerBuildRecord(entry = handlerSource()): string {
  return path.join(tmpdir(), `farcar-issuer-build-${createHash("sha256").update(entry).digest("hex").slice(0, 16)}.json`);
}

/** Directory holding `index.js` (handler `index.handler`). */
export function issuerBundleDir(): string {
  if (built && existsSync(path.join(built, "index.js"))) return built;
  const entry = handlerSource();
  const record = issuerBuildRecord(entry);
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
  // The directory is shared by every process on the machine (its name is the code's hash): write
  // under a temporary name outside it and rename, so a concurrent synth never zips a half-written
  // or truncated index.js, nor a temporary file (seen: an asset hashed as empty, D41D8CD9…, while
  // another Jest worker wrote). rename(2) within one file system is atomic.
  const file = path.join(dir, "index.js");
  if (!existsSync(file)) {
    const tmp = path.join(tmpdir(), `farcar-issuer-index.${process.pid}.${Date.now()}.tmp`);
    writeFileSync(tmp, code);
    renameSync(tmp, file);
  }
  // What went into the bundle, so a later process can reuse it while all of it is unchanged.
  const inputs: Record<string, string> = {};
  for (const file of Object.keys(result.metafile.inputs)) inputs[path.resolve(workingDir, file)] = stamp(path.resolve(workingDir, file));
  const tmp = `.${process.pid}.tmp`;
  writeFileSync(`${record}${tmp}`, JSON.stringify({ dir, inputs }));
  renameSync(`${record}${tmp}`, record);
  built = dir;
  return dir;
}
