/**
 * The `farcar` bin (cli/farcar.js) runs the CLI compiled (scripts/compiled.cjs into dist/cli/),
 * never through tsx — and the commands that read Farcar's own files (config/prices.json,
 * package.json, issuer/handler.ts) find them from the bundle's directory too (config/project-root.ts).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import * as path from "node:path";
import { generateFleetYaml } from "../../bench/fleet";
import { noTsxPreload } from "../support/no-tsx";
import { farcarBin, ROOT, workdir } from "./support";

const dir = workdir({ "fleet.yaml": generateFleetYaml({ inbound: 1, outbound: 0 }) });
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const preload = noTsxPreload(dir);

/** `farcar …argv` as the bin runs, in `dir`, with tsx made unloadable. */
const farcar = (...argv: string[]) => farcarBin(argv, dir, { NODE_OPTIONS: "" }, ["-r", preload]);

test("the guard works: a process that loads tsx fails", () => {
  expect(spawnSync(process.execPath, ["-r", preload, "-e", `require("tsx/cjs/api")`]).status).not.toBe(0);
});

test("synth writes the fleet's stacks, issuer code included", () => {
  const r = farcar("synth", "fleet.yaml", "--out", "out");
  expect(r.stderr).not.toMatch(/tsx loaded|internal error/);
  expect(r.status).toBe(0);
  const manifest = JSON.parse(readFileSync(path.join(dir, "out", "manifest.json"), "utf8"));
  expect(Object.keys(manifest.stacks).length).toBeGreaterThan(2);
  expect(existsSync(path.join(ROOT, "dist", "cli", "main.js"))).toBe(true);
  // `farcar verify`'s worker threads load the isolation bundle next to the CLI's (verify/parallel.ts).
  expect(existsSync(path.join(ROOT, "dist", "cli", "isolation.js"))).toBe(true);
});

test("cost reads the price table of the package (config/prices.json)", () => {
  const r = farcar("cost", "fleet.yaml");
  expect(r.stderr).not.toMatch(/tsx loaded|internal error|ENOENT/);
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^farcar cost — /m);
});

test("modules pins Farcar's own version (package.json) in each README", () => {
  const r = farcar("modules", "fleet.yaml", "--out", "modules");
  expect(r.stderr).not.toMatch(/tsx loaded|internal error|ENOENT/);
  expect(r.status).toBe(0);
  const version = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).version;
  const readmes = spawnSync("sh", ["-c", "cat modules/*/README.md"], { cwd: dir, encoding: "utf8" }).stdout;
  expect(readmes).toContain(`version = "${version}"`);
});

test("verify proves the fleet's isolation", () => {
  const r = farcar("verify", "fleet.yaml");
  expect(r.stderr).not.toMatch(/tsx loaded|internal error/);
  expect(r.stdout).toMatch(/^OK: \d+ cases over 1 API\(s\), 0 mismatch\(es\), 0 problem\(s\)/m);
  expect(r.status).toBe(0);
});
