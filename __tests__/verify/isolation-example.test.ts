/**
 * The isolation proof (verification layer 4) on the whole example fleet: every API, the full
 * matrix. (Split from isolation.test.ts so the two Jest workers share the matrices.)
 */
import { formatReport, verifyIsolation, type IsolationReport } from "../../verify";
import { synthFleetFile } from "../support/synth";
import { stackReport, stacksOf } from "./support";

describe("example fleet", () => {
  const example = synthFleetFile();
  let report: IsolationReport;
  beforeAll(async () => {
    report = await verifyIsolation(example.fleet, stacksOf(example));
  });

  test("every API (ingress, and egress where synthesized) is verified with zero mismatches and no problems", () => {
    expect(report.problems).toEqual([]);
    expect(report.engine.disagreements).toEqual([]);
    expect(report.mismatches).toBe(0);
    expect(report.ok).toBe(true);
    const ingress = report.stacks.filter((s) => s.kind === "ingress").map((s) => s.stack).sort();
    expect(ingress).toEqual(example.fleet.environments.filter((e) => e.inbound.length).map((e) => `${e.key}-ingress`).sort());
    const withPolicy = example.stackNames.filter((n) => example.json(n).resource?.aws_api_gateway_rest_api_policy);
    expect(report.stacks.map((s) => s.stack).sort()).toEqual(withPolicy.sort());
    expect(formatReport(report)).toMatch(/^OK: \d+ cases over \d+ API\(s\), 0 mismatch\(es\), 0 problem\(s\)/m);
  });

  test("counts: the whole matrix ran, and exactly the 1:1 cases were allowed", () => {
    for (const s of report.stacks) {
      expect(s.methods).toBe(7);
      expect(s.cases).toBe(s.allowed + s.denied);
      // principals × paths × methods × 3 endpoints, plus the generated-identity variant of each service role
      expect(s.cases).toBeGreaterThan(s.principals * s.paths * s.methods * 3);
      expect(s.allowed).toBeGreaterThan(0);
      expect(s.denied).toBeGreaterThan(s.allowed * 10);
    }
    // afterpay/staging: checkout (1 role) owns 7 probed paths, disputes (2 roles) owns 5 each:
    // 7 methods × 2 identity variants × (1×7 + 2×5), through this environment's endpoint only.
    expect(stackReport(report).allowed).toBe(7 * 2 * (7 + 10));
  });

  test("says which Terraform references it replaced with fake values", () => {
    const s = stackReport(report);
    const notes = s.substitutions.map((x) => `${x.reference} ${x.note}`).join("\n");
    expect(notes).toMatch(/\$\{aws_api_gateway_rest_api\.api_\w+\.execution_arn\} fake API id/);
    expect(notes).toMatch(/\$\{aws_vpc_endpoint\.[\w-]+\.id\} fake VPC endpoint id/);
    expect(notes).toMatch(/account_id_afterpay_staging\} stand-in for the account the org stack creates for afterpay-staging/);
    expect(s.apiAccountId).toBe("900000000001");
    expect(formatReport(report)).toContain("Terraform references replaced by fake but consistent values");
  });
});

