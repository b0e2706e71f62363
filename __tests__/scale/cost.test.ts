/**
 * `npm run cost`: the fixed monthly cost per stack and per service, from config/prices.json.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { BASE_FLEET, fleetWith } from "../config/fleet-fixture";
import { fleetFromYaml } from "../support/synth";
import { PROXY_INTERFACE_ENDPOINTS } from "../../modules/network/proxy-vpc";
import { CostError, costReport, loadPrices, type PriceTable } from "../../scripts/cost";

const ROOT = path.resolve(__dirname, "../..");
const prices = loadPrices();

describe("costReport", () => {
  test("every line of the base fleet's ingress stack follows from the price table", () => {
    // GIVEN two inbound services, 2 tasks of 512 CPU / 1024 MiB each, a created environment CA, 2 AZs
    const report = costReport(fleetFromYaml(BASE_FLEET), prices);
    const p = prices.regions["us-east-1"];
    const h = prices.hoursPerMonth;
    const [stack] = report.stacks;
    // THEN
    expect(stack.stack).toBe("afterpay-staging-ingress");
    expect(stack.services).toBe(2);
    expect(stack.farcar.endpoints).toBeCloseTo((PROXY_INTERFACE_ENDPOINTS.length + 1) * 2 * p.interfaceEndpointAzHour * h, 6);
    expect(stack.farcar.tasks).toBeCloseTo(2 * 2 * (0.5 * p.fargate.X86_64.vcpuHour + 1 * p.fargate.X86_64.gbHour) * h, 6);
    // ONE short-lived CA for the environment, whatever the number of services; the article's layout keeps one per service
    expect(stack.farcar.cas).toBe(p.privateCaMonth.SHORT_LIVED_CERTIFICATE);
    expect(stack.sharedNlb.cas).toBe(p.privateCaMonth.SHORT_LIVED_CERTIFICATE);
    expect(stack.article.cas).toBe(p.privateCaMonth.GENERAL_PURPOSE + 2 * p.privateCaMonth.SHORT_LIVED_CERTIFICATE);
    expect(stack.farcar.nlbs).toBeCloseTo(stack.layout.nlbs * p.nlbHour * h + 2 * prices.assumptions.nlcuPerServiceHour * p.nlcuHour * h, 6);
    expect(stack.farcar.total).toBeCloseTo(stack.farcar.endpoints + stack.farcar.nlbs + stack.farcar.tasks + stack.farcar.cas + stack.farcar.logs, 6);
    expect(stack.farcarPerService).toBeCloseTo(stack.farcar.total / 2, 6);
    // The shared-NLB layout: both services on one NLB; everything else the same.
    expect(stack.sharedNlb.nlbs).toBeCloseTo(1 * p.nlbHour * h + 2 * prices.assumptions.nlcuPerServiceHour * p.nlcuHour * h, 6);
    expect(stack.sharedNlb.total - stack.sharedNlb.nlbs).toBeCloseTo(stack.farcar.total - stack.farcar.nlbs, 6);
    expect(report.table).toContain("afterpay-staging-ingress");
    expect(report.table).toMatch(/total\s/);
  });

  test("the environment CA costs the same for 2 services as for one more", () => {
    const more = costReport(
      fleetFromYaml(fleetWith(["          disputes:", "          refunds:\n            roleArns: [arn:aws:iam::333333333333:role/refunds-staging]\n            targets: [ledger]\n          disputes:"])),
      prices,
    );
    expect(more.stacks[0].services).toBe(3);
    expect(more.stacks[0].farcar.cas).toBe(prices.regions["us-east-1"].privateCaMonth.SHORT_LIVED_CERTIFICATE);
  });

  test("an adopted acquisition CA and secretsManager identities cost no CA in this stack", () => {
    const adopted = costReport(
      fleetFromYaml(
        fleetWith([
          "        network:",
          "        identity: { acquisitionCaArn: arn:aws:acm-pca:us-east-1:222222222222:certificate-authority/11111111-2222-3333-4444-555555555555 }\n        network:",
        ]),
      ),
      prices,
    );
    expect(adopted.stacks[0].farcar.cas).toBe(0);
    const secrets = costReport(fleetFromYaml(fleetWith(["        network:", "        identity: { source: secretsManager }\n        network:"])), prices);
    expect(secrets.stacks[0].farcar.cas).toBe(0);
  });

  test("fails, naming the fix, for a region the price table does not cover", () => {
    const table: PriceTable = { ...prices, regions: { "ap-southeast-2": prices.regions["ap-southeast-2"] } };
    expect(() => costReport(fleetFromYaml(BASE_FLEET), table)).toThrow(CostError);
    expect(() => costReport(fleetFromYaml(BASE_FLEET), table)).toThrow(/no prices for region us-east-1 .*Fix: add the region/);
  });

  test("every region in the table has every price, its sources and the date read", () => {
    for (const [region, p] of Object.entries(prices.regions)) {
      expect(p.retrieved).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      for (const key of ["nlb", "fargate", "interfaceEndpoint", "privateCa", "logs"]) expect(p.sources[key]).toMatch(/^https:\/\/aws\.amazon\.com\//);
      for (const n of [p.nlbHour, p.nlcuHour, p.interfaceEndpointAzHour, p.logsIngestGb, p.fargate.X86_64.vcpuHour, p.fargate.ARM64.gbHour]) {
        expect(n).toBeGreaterThan(0);
      }
      expect(p.fargate.ARM64.vcpuHour).toBeLessThan(p.fargate.X86_64.vcpuHour); // Graviton is cheaper, or the knob makes no sense
      expect(region).toMatch(/^[a-z]{2}-[a-z]+-\d$/);
    }
  });
});

describe("npm run cost", () => {
  test("prints the table for the example fleet", () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, "node_modules/tsx/dist/cli.mjs"), path.join(ROOT, "scripts/cost.ts")], {
      cwd: ROOT,
      env: { ...process.env, FARCAR_CONFIG: path.join(ROOT, "examples/fleet.yaml") },
      encoding: "utf8",
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/afterpay-staging-ingress\s+us-east-1/);
    expect(r.stdout).toContain("total/month");
  });
});
