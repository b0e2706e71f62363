/**
 * `npm run verify` runs compiled JavaScript (scripts/run-verify.cjs through scripts/compiled.cjs,
 * the mechanism `npx cdktf synth` uses for main.ts): the bundles are rebuilt exactly when a file
 * that went into them changes, and neither the command nor its worker threads load tsx.
 * Each run is a child process, so esbuild's service never outlives it inside Jest.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { generateFleetYaml } from "../../bench/fleet";
import { noTsxPreload } from "../support/no-tsx";

const ROOT = path.resolve(__dirname, "../..");
const COMPILED = path.join(ROOT, "scripts/compiled.cjs");

function node(args: string[], cwd = ROOT) {
  return spawnSync(process.execPath, args, { cwd, encoding: "utf8", timeout: 120_000, env: { ...process.env, NODE_OPTIONS: "" } });
}

describe("scripts/compiled.cjs", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "farcar-compiled-"));
  const outdir = path.join(dir, "out");
  const build = () => {
    const r = node(["-e", `const { compiled } = require(${JSON.stringify(COMPILED)}); const out = compiled(${JSON.stringify({ outdir, entries: { a: "a.ts" }, root: dir })}); console.log(require(out.a).value)`]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    return { value: r.stdout.trim(), mtimeMs: statSync(path.join(outdir, "a.js")).mtimeMs };
  };

  test("reuses the bundle while its inputs are unchanged and rebuilds it when an imported file changes", () => {
    writeFileSync(path.join(dir, "a.ts"), `import { b } from "./b";\nexport const value: string = b;\n`);
    writeFileSync(path.join(dir, "b.ts"), `export const b: string = "first";\n`);
    const first = build();
    expect(first.value).toBe("first");
    const again = build();
    expect(again).toEqual(first); // not rewritten
    writeFileSync(path.join(dir, "b.ts"), `export const b: string = "second, longer";\n`);
    expect(build().value).toBe("second, longer");
    expect(Object.keys(JSON.parse(readFileSync(path.join(outdir, "inputs.json"), "utf8")).inputs).sort()).toEqual(["a.ts", "b.ts"]);
  });
});

describe("npm run verify (scripts/run-verify.cjs)", () => {
  test("is what package.json runs", () => {
    expect(JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts.verify).toBe("node scripts/run-verify.cjs");
  });

  test("runs the command and its isolation workers compiled: no thread loads tsx", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "farcar-verify-compiled-"));
    const preload = noTsxPreload(dir);
    // The guard works: a thread that loads tsx fails.
    expect(node(["-r", preload, "-e", `require("tsx/cjs/api")`]).status).not.toBe(0);
    // A one-service fleet (one API), simulated on a worker started before the synth, as by default.
    const fleet = path.join(dir, "fleet.yaml");
    writeFileSync(fleet, generateFleetYaml({ inbound: 1, outbound: 0 }));
    mkdirSync(path.join(dir, "mesh"));
    copyFileSync(path.join(ROOT, "examples/mesh/ca-bundle.pem"), path.join(dir, "mesh/ca-bundle.pem"));
    const r = node(["-r", preload, "scripts/run-verify.cjs", "--fleet", fleet, "--workers", "2"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^OK: \d+ cases over 1 API\(s\), 0 mismatch\(es\), 0 problem\(s\)/m);
    expect(r.status).toBe(0);
  });
});
