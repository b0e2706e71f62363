/**
 * `farcar synth` and `farcar check`: the fleet file is named in a banner, the output directory is
 * replaced only on success (no stale stacks), and a fleet error is printed once, without a stack
 * trace, and writes nothing.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { BASE_FLEET, fleetWith } from "../config/fleet-fixture";
import { banner, resolveFleetFile } from "../../cli/fleet-file";
import { SYNTH_RECORD } from "../../cli/synth";
import { farcar, farcarBin, workdir } from "./support";

const BROKEN = fleetWith(["targets: [ledger]", "targets: [ledgr]"]);

describe("fleet file choice", () => {
  test("argument, then FARCAR_CONFIG, then cdktf.json context.farcarConfig, then the example fleet", () => {
    const dir = workdir({ "cdktf.json": JSON.stringify({ app: "x", context: { farcarConfig: "fleets/prod.yaml" } }) });
    expect(resolveFleetFile("a.yaml", { FARCAR_CONFIG: "b.yaml" }, dir)).toEqual({ file: "a.yaml", source: "argument" });
    expect(resolveFleetFile(undefined, { FARCAR_CONFIG: "b.yaml" }, dir)).toEqual({ file: "b.yaml", source: "FARCAR_CONFIG" });
    expect(resolveFleetFile(undefined, {}, dir)).toEqual({ file: "fleets/prod.yaml", source: "cdktf.json" });
    const none = resolveFleetFile(undefined, {}, workdir());
    expect(none).toEqual({ file: "examples/fleet.yaml", source: "default" });
    expect(banner(none)).toBe("farcar: fleet examples/fleet.yaml (the example fleet: no file argument, FARCAR_CONFIG or cdktf.json context.farcarConfig)");
  });
});

describe("farcar synth", () => {
  test("replaces the output directory: the new fleet's stacks, none of the old, and a record of the fleet file", async () => {
    const dir = workdir({ "fleet.yaml": BASE_FLEET });
    mkdirSync(path.join(dir, "cdktf.out/stacks/tidal-production-ingress"), { recursive: true });
    const r = await farcar(["synth", "fleet.yaml"], dir);
    expect(r.stderr).toBe("farcar: fleet fleet.yaml (from the command line)\n");
    expect(r.status).toBe(0);
    // quiet: one line, and — because a plain `cdktf deploy` would synthesize the example fleet here — how to deploy this one
    expect(r.stdout).toMatch(
      /^Synthesized 3 stacks to cdktf\.out\/ in [\d.]+ s\.\nDeploy it with `npx cdktf deploy --skip-synth <stack>`: without --skip-synth, cdktf synthesizes examples\/fleet\.yaml again\.\n$/,
    );
    expect(readdirSync(path.join(dir, "cdktf.out/stacks")).sort()).toEqual(["afterpay-staging-ingress", "afterpay-staging-ingress-images", "org"]);
    expect(JSON.parse(readFileSync(path.join(dir, "cdktf.out", SYNTH_RECORD), "utf8"))).toMatchObject({ fleetFile: "fleet.yaml" });
    expect(readdirSync(dir).filter((f) => f.startsWith("cdktf.out."))).toEqual([]); // no staging directory left
  });

  test("--verbose lists every stack with its resources", async () => {
    const dir = workdir({ "fleet.yaml": BASE_FLEET });
    const r = await farcar(["synth", "--verbose", "-o", "out"], dir, { FARCAR_CONFIG: "fleet.yaml" });
    expect(r.stderr).toContain("farcar: fleet fleet.yaml (from FARCAR_CONFIG)");
    expect(r.stdout).toMatch(/^ {2}afterpay-staging-ingress: \d+ resources$/m);
    expect(r.stdout).toMatch(/^ {2}org: \d+ resources$/m);
    expect(r.stdout).not.toContain("--skip-synth"); // cdktf would synthesize the same file
  });

  test("a broken fleet leaves the previous output untouched and says what it holds", async () => {
    const dir = workdir({ "fleet.yaml": BASE_FLEET, "broken.yaml": BROKEN });
    expect((await farcar(["synth", "fleet.yaml"], dir)).status).toBe(0);
    const before = readFileSync(path.join(dir, "cdktf.out/stacks/org/cdk.tf.json"), "utf8");
    const r = await farcar(["synth", "broken.yaml"], dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/broken\.yaml:30:23: .*targets\[0\]: is not a mesh service/);
    expect(r.stderr).toMatch(/cdktf\.out\/ still holds the previous synthesis of fleet\.yaml \(.*\); it does not reflect this fleet file/);
    expect(readFileSync(path.join(dir, "cdktf.out/stacks/org/cdk.tf.json"), "utf8")).toBe(before);
  });

  test("as a user runs it (bin shim, no TTY): each problem once, no stack trace, no spinner, nothing written", () => {
    const dir = workdir({ "broken.yaml": BROKEN });
    const r = farcarBin(["synth", "broken.yaml"], dir);
    expect(r.status).toBe(1);
    expect(r.stderr.match(/is not a mesh service/g)).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr + r.stdout).not.toMatch(/checkpoint-api|\u280b|\x1b\[/);
    expect(existsSync(path.join(dir, "cdktf.out"))).toBe(false);
  });
});

describe("farcar check", () => {
  test("a valid fleet: a one-line summary, nothing written", async () => {
    const dir = workdir({ "fleet.yaml": BASE_FLEET });
    const r = await farcar(["check", "fleet.yaml"], dir);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("The fleet is valid: 1 environments, 2 services, 3 stacks.\n");
    expect(readdirSync(dir).sort()).toEqual(["afterpay", "fleet.yaml", "mesh"]);
  });

  test("a fleet AWS cannot hold fails like synth would (quota checks run)", async () => {
    // One API per service: one service whose 150 roles overflow its own API's resource policy.
    const roles = Array.from({ length: 150 }, (_, i) => `arn:aws:iam::333333333333:role/service-role-number-${i}`).join(", ");
    const services = `          crowded:\n            roleArns: [${roles}]\n            targets: [ledger]\n`;
    const dir = workdir({ "big.yaml": BASE_FLEET + services });
    const r = await farcar(["check", "big.yaml"], dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/resource policy characters per REST API: \d+ of 8192/);
  });

  test("a missing file names the file and how to choose one", async () => {
    const r = await farcar(["check", "nope.yaml"], workdir());
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("nope.yaml: (root): fleet file not found");
  });
});

describe("--help", () => {
  test("every subcommand has help that names its arguments", async () => {
    // In-process: the commander program (cli/main.ts run) prints the help; that the bin shim runs
    // that program as a user starts it is the "as a user runs it" test above.
    const r = await farcar(["--help"]);
    expect(r.status).toBe(0);
    for (const cmd of ["synth", "check", "diff", "verify", "modules", "diagram", "doctor"]) {
      expect(r.stdout).toMatch(new RegExp(`^  ${cmd} `, "m"));
      const sub = await farcar([cmd, "--help"]);
      expect(sub.status).toBe(0);
      expect(sub.stdout).toMatch(new RegExp(`^Usage: farcar ${cmd} `));
    }
  });
});
