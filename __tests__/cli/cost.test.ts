/**
 * `farcar cost`: the fixed monthly cost from the price table, as `npm run cost` prints it, with the
 * fleet problems and a bad price table reported as one line each, never a stack trace.
 */
import * as path from "node:path";
import { writeFileSync } from "node:fs";
import { loadFleet } from "../../config/load";
import { costReport, loadPrices } from "../../scripts/cost";
import { BASE_FLEET } from "../config/fleet-fixture";
import { farcar, ROOT, workdir } from "./support";

const EXAMPLE = path.join(ROOT, "examples/fleet.yaml");

describe("farcar cost", () => {
  test("prints costReport's table for the fleet, naming the fleet file", async () => {
    const r = await farcar(["cost", EXAMPLE]);
    expect(r.stderr).toContain("examples/fleet.yaml");
    expect(r.status).toBe(0);
    const report = costReport(loadFleet(EXAMPLE), loadPrices());
    expect(r.stdout).toBe(`farcar cost — ${EXAMPLE}\n\n${report.table}\n`);
    expect(r.stdout).toMatch(/afterpay-staging-ingress\s+us-east-1/);
  });

  test("--json gives every stack's figures; the environment CA is one $50 short-lived CA, the article's one per service", async () => {
    const r = await farcar(["cost", EXAMPLE, "--json"]);
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout) as { stacks: { stack: string; services: number; farcar: { cas: number }; article: { cas: number } }[] };
    const staging = json.stacks.find((s) => s.stack === "afterpay-staging-ingress")!;
    const p = loadPrices().regions["us-east-1"].privateCaMonth;
    expect(staging.farcar.cas).toBe(p.SHORT_LIVED_CERTIFICATE);
    expect(staging.article.cas).toBe(p.GENERAL_PURPOSE + staging.services * p.SHORT_LIVED_CERTIFICATE);
  });

  test("--quotas adds the measured quotas", async () => {
    const r = await farcar(["cost", EXAMPLE, "--quotas"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("AWS quotas, measured (help/scaling.md):\nafterpay-staging-ingress (us-east-1):");
  });

  test("--help describes the command and its options", async () => {
    const r = await farcar(["cost", "--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Usage: farcar cost [options] [fleet]");
    for (const o of ["--prices <file>", "--json", "--quotas"]) expect(r.stdout).toContain(o);
    expect((await farcar(["--help"])).stdout).toMatch(/\n\s+cost \[options\] \[fleet\]/);
  });

  test("a broken fleet: the located problem, exit 1, no table", async () => {
    const dir = workdir({ "fleet.yaml": BASE_FLEET.replace("targets: [ledger]", "targets: [ledgr]") });
    const r = await farcar(["cost", "fleet.yaml"], dir);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/fleet\.yaml:30:23: acquisitions\.afterpay\.environments\.staging\.inbound\.disputes\.targets\[0\]: is not a mesh service/);
  });

  test("a missing or malformed price table: one line naming the file and the fix, exit 1", async () => {
    const dir = workdir({ "fleet.yaml": BASE_FLEET, "prices.json": "{}" });
    const missing = await farcar(["cost", "fleet.yaml", "--prices", "nope.json"], dir);
    expect([missing.status, missing.stdout]).toEqual([1, ""]);
    expect(missing.stderr).toMatch(/farcar: nope\.json: cannot read the price table \(ENOENT.*\); fix: name a JSON file shaped like config\/prices\.json\n$/);
    const empty = await farcar(["cost", "fleet.yaml", "--prices", "prices.json"], dir);
    expect(empty.stderr).toContain("farcar: prices.json: not a price table (needs hoursPerMonth, assumptions and regions); fix: start from config/prices.json");
    writeFileSync(path.join(dir, "prices.json"), JSON.stringify({ ...loadPrices(), regions: {} }));
    const noRegion = await farcar(["cost", "fleet.yaml", "--prices", "prices.json"], dir);
    expect(noRegion.status).toBe(1);
    expect(noRegion.stderr).toMatch(/farcar: afterpay\/staging: no prices for region us-east-1 .*Fix: add the region/);
  });
});
