/**
 * The synth-time quota check (stacks/quotas.ts): every quota with the figure measured for a
 * direction, failing one past any limit with the fix; and the 500-service layout fits them all.
 */
import { assignSlots, servicesPerNlb } from "../../config/lock";
import { perServiceNlbLayout, sharedNlbLayout, type Layout } from "../../modules/private-api/layout";
import { HTTP_METHODS } from "../../modules/private-api/resource-policy";
import { quotaTable } from "../../scripts/cost";
import { directionQuotaInput, exceededQuotas, measureQuotas, quotaError, type QuotaInput } from "../../stacks/quotas";
import { synthFleetFile } from "../support/synth";

const service = (name: string, targets = 3) => ({
  name,
  roleArns: [`arn:aws:iam::333333333333:role/${name}-production`],
  methods: [...HTTP_METHODS],
  targets: Array.from({ length: targets }, (_, i) => `target${i}`),
});
const names = (n: number) => Array.from({ length: n }, (_, i) => `svc${i}`);
const input = (services: ReturnType<typeof service>[], layout: Layout, desiredCount = 2): QuotaInput => ({
  services,
  layout,
  partition: "aws",
  region: "ap-southeast-2",
  stage: "production",
  desiredCount,
  availabilityZones: 3,
});
/** The shared layout for `n` services as `npm run lock` assigns it. */
const shared = (n: number, desiredCount = 2) => {
  const slots = assignSlots(undefined, names(n), servicesPerNlb(desiredCount));
  return sharedNlbLayout(names(n), new Map(Object.entries(slots.services).map(([s, slot]) => [s, slot.nlb])));
};
const figure = (q: QuotaInput, quota: string) => measureQuotas(q).find((f) => f.quota.startsWith(quota))!;

describe("the shared-NLB, API-per-service layout", () => {
  test("holds 500 services with every quota respected", () => {
    const q = input(names(500).map((n) => service(n)), shared(500));
    const figures = measureQuotas(q);
    expect(exceededQuotas(figures)).toEqual([]);
    const byQuota = Object.fromEntries(figures.map((f) => [f.quota, f.measured]));
    expect(byQuota["private REST APIs per account and region"]).toBe(500);
    expect(byQuota["VPC links per account and region"]).toBe(10);
    expect(byQuota["Network Load Balancers per region"]).toBe(10);
    expect(byQuota["listeners per Network Load Balancer"]).toBe(50);
    expect(byQuota["resources per REST API"]).toBe(8); // root, /X, 3 × (/X/Z, /X/Z/{proxy+})
    expect(byQuota["resource policy characters per REST API"]).toBeLessThan(1500);
  });

  test.each([
    ["private REST APIs per account and region", () => input(names(601).map((n) => service(n)), shared(601)), 601, 600],
    [
      "VPC links per account and region",
      () => input(names(21).map((n) => service(n)), { name: "shared-nlb", apis: names(21).map((n) => [n]), nlbs: names(21).map((n) => [n]) }),
      21,
      20,
    ],
    ["listeners per Network Load Balancer", () => input(names(51).map((n) => service(n)), { name: "shared-nlb", apis: names(51).map((n) => [n]), nlbs: [names(51)] }), 51, 50],
    [
      "targets per cross-zone Network Load Balancer",
      () => input(names(42).map((n) => service(n)), { name: "shared-nlb", apis: names(42).map((n) => [n]), nlbs: [names(42)] }, 6),
      504,
      500,
    ],
    ["resources per REST API", () => input([service("svc0", 150)], shared(1)), 302, 300],
  ])("fails one past the %s quota, with the fix", (quota, make, measured, limit) => {
    const q = make();
    expect(figure(q, quota)).toMatchObject({ measured, limit });
    const error = quotaError("afterpay/production ingress (ap-southeast-2)", measureQuotas(q))!;
    expect(error).toContain(`${quota}`);
    expect(error).toMatch(new RegExp(`: ${measured} of ${limit}.* — https://docs\\.aws\\.amazon\\.com/.*\\. Fix: `));
  });

  test("the lock's NLB capacity keeps the targets quota at any desiredCount", () => {
    for (const d of [2, 6, 13, 100]) {
      const q = input(names(120).map((n) => service(n)), shared(120, d), d);
      expect(figure(q, "targets per cross-zone").measured).toBeLessThanOrEqual(500);
    }
  });

  test("resources: 149 targets fit one API, 150 do not", () => {
    expect(figure(input([service("svc0", 149)], shared(1)), "resources per REST API")).toMatchObject({ measured: 300 });
    expect(exceededQuotas(measureQuotas(input([service("svc0", 149)], shared(1))))).toEqual([]);
  });
});

describe("the article's per-service-NLB layout, and the layout the stacks generate", () => {
  test("one API for all services: the resource policy is its limit", () => {
    // One role and all seven methods each: ~750 characters per service.
    const fits = input(names(10).map((n) => service(n)), perServiceNlbLayout(names(10)));
    const over = input(names(11).map((n) => service(n)), perServiceNlbLayout(names(11)));
    expect(figure(fits, "resource policy").measured).toBeLessThanOrEqual(8192);
    expect(figure(over, "resource policy").measured).toBeGreaterThan(8192);
    expect(figure(over, "VPC links").measured).toBe(11);
    expect(quotaError("x", measureQuotas(over))).toMatch(/resource policy characters per REST API: \d+ of 8192 .* Fix: list fewer role ARNs or methods/);
  });

  test("every proxy stack of the example fleet measures its quotas at synth, all within their limits", () => {
    const s = synthFleetFile();
    for (const stack of [...s.stacks.ingress, ...s.stacks.egress]) {
      expect(stack.quotas.length).toBeGreaterThanOrEqual(10);
      expect(exceededQuotas(stack.quotas)).toEqual([]);
      const env = s.fleet.environments.find((e) => e.key === stack.env.key)!;
      const services = stack.kind === "ingress" ? env.inbound.length : env.outbound.length;
      // One API per service; one VPC link per shared NLB of the lock.
      expect(stack.quotas.find((f) => f.quota === "private REST APIs per account and region")!.measured).toBe(services);
      expect(stack.quotas.find((f) => f.quota === "VPC links per account and region")!.measured).toBe(stack.sharedNlbs.size);
      expect(stack.sharedNlbs.size).toBe(new Set(Object.values(stack.slots.services).map((slot) => slot.nlb)).size);
      // `npm run cost -- --quotas` prints the same figures, from the same input.
      expect(measureQuotas(directionQuotaInput(env, stack.kind, stack.slots))).toEqual(stack.quotas);
    }
    const table = quotaTable(s.fleet);
    for (const stack of [...s.stacks.ingress, ...s.stacks.egress]) expect(table).toContain(`${stack.node.id} (us-east-1):`);
    expect(table).not.toContain("OVER");
  });
});
