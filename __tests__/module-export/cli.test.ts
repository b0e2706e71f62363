/**
 * `npm run modules`: arguments, what it prints, exit status — once as a user runs it (tsx, a child
 * process: the exit status reaches the shell), the other cases in-process through the same main().
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { main, parseArgs, UsageError } from "../../scripts/modules";
import { inProcess } from "../cli/support";

const ROOT = path.resolve(__dirname, "../..");
const work = mkdtempSync(path.join(tmpdir(), "farcar-modules-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [path.join(ROOT, "node_modules/tsx/dist/cli.mjs"), path.join(ROOT, "scripts/modules.ts"), ...args], {
    cwd: ROOT,
    env: { ...process.env, FARCAR_CONFIG: "", ...env },
    encoding: "utf8",
  });
}

describe("parseArgs", () => {
  test("defaults: FARCAR_CONFIG, else examples/fleet.yaml; dist/modules", () => {
    expect(parseArgs([], {})).toEqual({ fleet: "examples/fleet.yaml", outDir: "dist/modules" });
    expect(parseArgs([], { FARCAR_CONFIG: "my.yaml" })).toEqual({ fleet: "my.yaml", outDir: "dist/modules" });
  });

  test("--fleet, --out, --namespace, --version, also as --flag=value", () => {
    expect(parseArgs(["--fleet", "f.yaml", "--out=o", "--namespace", "app.terraform.io/acme", "--version=1.2.3"], {})).toEqual({
      fleet: "f.yaml",
      outDir: "o",
      namespace: "app.terraform.io/acme",
      version: "1.2.3",
    });
  });

  test("fails on an unknown argument or a missing value", () => {
    expect(() => parseArgs(["--flet", "x"], {})).toThrow(new UsageError('unknown argument "--flet"'));
    expect(() => parseArgs(["--out"], {})).toThrow(new UsageError("--out needs a value"));
  });
});

describe("npm run modules", () => {
  test("writes every module and says what it wrote", async () => {
    const out = path.join(work, "modules");
    const r = await inProcess(() => main(["--out", out, "--namespace", "app.terraform.io/acme"]), ROOT, { FARCAR_CONFIG: undefined });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Wrote \d+ modules to .* from examples\/fleet\.yaml:\n/);
    expect(r.stdout).toMatch(/terraform-aws-farcar-afterpay-staging-ingress\/ {2}\d+ resources, \d+ variables, \d+ outputs \(proxy_account_id replaces account_id_afterpay_staging\)/);
    expect(r.stdout).toContain("app.terraform.io/acme/farcar-org/aws");
    expect(r.stdout).toMatch(/Done in \d+\.\d s\.\n$/);
    expect(readdirSync(out).sort()).toEqual(expect.arrayContaining(["terraform-aws-farcar-org", "terraform-aws-farcar-tidal-production-ingress"]));
  });

  test("a broken fleet file prints the problems, exits 1 and writes nothing", async () => {
    const fleet = path.join(work, "broken.yaml");
    writeFileSync(fleet, "version: 1\nregion: mars-1\n");
    const out = path.join(work, "never");
    const r = await inProcess(() => main(["--fleet", fleet, "--out", out]));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^farcar modules: \d+ problems? in the fleet file/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(out)).toBe(false);
  });

  test("bad arguments print the usage and exit 2 (as a user runs it: the exit status reaches the shell)", () => {
    const r = run(["--bogus"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown argument "--bogus"');
    expect(r.stderr).toContain("usage: npm run modules");
  });
});
