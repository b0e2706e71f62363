/**
 * The entry point (main.ts) as `npx cdktf synth` runs it — cdktf.json's app, scripts/app.cjs, which
 * runs main.ts precompiled (app.test.ts proves it is byte-identical to the in-process synth):
 * FARCAR_CONFIG picks the file; a broken file prints every problem with its line, exits non-zero
 * and writes nothing.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { BASE_FLEET, fleetWith } from "./config/fleet-fixture";

const ROOT = path.resolve(__dirname, "..");

function runMain(fleetText: string, dir = mkdtempSync(path.join(tmpdir(), "farcar-cli-"))) {
  cpSync(path.join(ROOT, "examples/mesh"), path.join(dir, "mesh"), { recursive: true });
  writeFileSync(path.join(dir, "fleet.yaml"), fleetText);
  const outdir = path.join(dir, "out");
  const result = spawnSync(process.execPath, [path.join(ROOT, "scripts/app.cjs")], {
    cwd: dir,
    env: { ...process.env, FARCAR_CONFIG: path.join(dir, "fleet.yaml"), CDKTF_OUTDIR: outdir },
    encoding: "utf8",
  });
  return { ...result, outdir };
}

describe("main.ts", () => {
  test("synthesizes the fleet file named by FARCAR_CONFIG, leaving no stack of an earlier synth (another fleet)", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "farcar-cli-"));
    mkdirSync(path.join(dir, "out/stacks/tidal-production-ingress"), { recursive: true });
    const r = runMain(BASE_FLEET, dir);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain(`farcar: fleet ${path.join(dir, "fleet.yaml")} (from FARCAR_CONFIG)`);
    expect(r.status).toBe(0);
    expect(readdirSync(path.join(r.outdir, "stacks")).sort()).toEqual(["afterpay-staging-ingress", "afterpay-staging-ingress-images", "org"]);
  });

  test("a broken fleet file after a good one: says the output directory holds the earlier synth", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "farcar-cli-"));
    mkdirSync(path.join(dir, "out/stacks/org"), { recursive: true });
    const r = runMain(fleetWith(["targets: [ledger]", "targets: [ledgr]"]), dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/out\/ still holds an earlier synthesis; it does not reflect this fleet file\.\n$/);
  });

  test("a broken fleet file prints every problem with its line, exits 1 and writes nothing", () => {
    const r = runMain(fleetWith(["us-east-1b]", "us-west-2b]"], ["targets: [ledger]", "targets: [ledgr]"]));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("2 problems in the fleet file; nothing was synthesized");
    expect(r.stderr).toMatch(/fleet\.yaml:20:43: acquisitions\.afterpay\.environments\.staging\.network\.availabilityZones\[1\]: .*"us-west-2b"/);
    expect(r.stderr).toMatch(/fleet\.yaml:30:23: .*targets\[0\]: is not a mesh service/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace for a user mistake
    expect(existsSync(r.outdir)).toBe(false);
  });

  test("a fleet AWS cannot hold (a resource policy over 8192 characters) fails with the fix, writes nothing", () => {
    // One API per service: one service whose 150 roles overflow its own API's resource policy.
    const roles = Array.from({ length: 150 }, (_, i) => `arn:aws:iam::333333333333:role/service-role-number-${i}`).join(", ");
    const services = `          crowded:\n            roleArns: [${roles}]\n            targets: [ledger]\n`;
    const r = runMain(BASE_FLEET + services);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /farcar: afterpay\/staging ingress \(us-east-1\) is over 1 AWS quota:\n  resource policy characters per REST API: \d+ of 8192 — \S+\. Fix: list fewer role ARNs or methods per service/,
    );
    expect(r.stderr).toContain("Nothing was synthesized.");
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(r.outdir)).toBe(false);
  });
});
