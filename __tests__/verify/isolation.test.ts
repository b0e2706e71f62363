/**
 * The isolation proof (verification layer 4): clean on the generated policies, and it names the
 * exact hole when a policy is deliberately broken. Broken variants transform the synthesized
 * policy JSON or call the policy builder with altered input; the simulator is never stubbed.
 */
import { renderPolicy, type PolicyDocument } from "../../modules/iam/policy-document";
import { callerIdentityPolicy, privateApiResourcePolicy } from "../../modules/private-api/resource-policy";
import {
  API_GATEWAY_METHODS,
  formatReport,
  mapApiPolicies,
  verifyIsolation,
  type IsolationReport,
  type TerraformJson,
} from "../../verify";
import { fleetWith } from "../config/fleet-fixture";
import { CHECKOUT, holes, onlyApisOf, PROXY_ADMIN, STACK, stackReport, stacksOf, stackTotals, withoutStatement, withResources, type Json } from "./support";
import { fleetFromYaml, synthFleet, synthFleetFile } from "../support/synth";

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
    const ingress = [...new Set(report.stacks.filter((s) => s.kind === "ingress").map((s) => s.stack))].sort();
    expect(ingress).toEqual(example.fleet.environments.filter((e) => e.inbound.length).map((e) => `${e.key}-ingress`).sort());
    const withPolicy = example.stackNames.filter((n) => example.json(n).resource?.aws_api_gateway_rest_api_policy);
    expect([...new Set(report.stacks.map((s) => s.stack))].sort()).toEqual(withPolicy.sort());
    // One API per service, each verified with that service alone as its own.
    for (const env of example.fleet.environments) {
      for (const svc of env.inbound) {
        expect(report.stacks.filter((s) => s.stack === `${env.key}-ingress` && s.services.includes(svc.name)).map((s) => s.services)).toEqual([[svc.name]]);
      }
    }
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
    // afterpay/staging, each service on its own API: checkout (1 role) owns 6 probed paths
    // (2 targets × bare and deeper, a target it may not call, /checkout/), disputes (2 roles) 4:
    // 7 methods × 2 identity variants × (1×6 + 2×4), through this environment's endpoint only.
    expect(stackTotals(report).allowed).toBe(7 * 2 * (6 + 8));
  });

  test("says which Terraform references it replaced with fake values", () => {
    const s = stackReport(report);
    const notes = s.substitutions.map((x) => `${x.reference} ${x.note}`).join("\n");
    expect(notes).toMatch(/\$\{aws_api_gateway_rest_api\.api-checkout_api_\w+\.execution_arn\} fake API id/);
    expect(notes).toMatch(/\$\{aws_vpc_endpoint\.[\w-]+\.id\} fake VPC endpoint id/);
    expect(notes).toMatch(/account_id_afterpay_staging\} stand-in for the account the org stack creates for afterpay-staging/);
    expect(s.apiAccountId).toBe("900000000001");
    expect(formatReport(report)).toContain("Terraform references replaced by fake but consistent values");
  });
});

describe("deliberately broken policies (checkout and checkout-v2 side by side)", () => {
  const fleet = fleetFromYaml(
    fleetWith([
      "          disputes:",
      "          checkout-v2:\n            roleArns: [arn:aws:iam::333333333333:role/checkout-v2-staging]\n            targets: [payments]\n          disputes:",
    ]),
  );
  const synth = synthFleet(fleet);
  const clean = stacksOf(synth);
  /**
   * Verify STACK as `stack`; with `apis`, only those services' APIs (each API is simulated with its
   * own policy alone, so a test about one policy needs only that API).
   */
  const verifyWith = (stack: TerraformJson, apis?: readonly string[]) =>
    verifyIsolation(fleet, { ...clean, [STACK]: apis ? onlyApisOf(stack, apis) : stack }, { stacks: [STACK] });
  let cleanReport: IsolationReport;
  beforeAll(async () => {
    cleanReport = await verifyIsolation(fleet, clean, { stacks: [STACK] });
  });

  test("the generated policy is clean", () => {
    expect(cleanReport.problems).toEqual([]);
    expect(cleanReport.mismatches).toBe(0);
    expect(cleanReport.ok).toBe(true);
  });

  test("/checkout* instead of /checkout/*: checkout reaches /checkout-v2/… and /checkoutx/…", async () => {
    const broken = mapApiPolicies(clean[STACK], withResources("InvokeCheckout", (rs) => rs.map((r) => r.replace(/\/checkout\/\*$/, "/checkout*"))));
    const report = await verifyWith(broken, ["checkout"]);
    expect(report.ok).toBe(false);
    // On checkout's own API: every probed path that merely starts with "checkout".
    const paths = ["/checkout", "/checkout-v2/payments/a", "/checkout-v2/x/a", "/checkout-v2/x/checkout/a", "/checkoutx/payments/a"];
    // Only with an allow-everything identity policy: the generated caller policy still says /checkout/*.
    expect(holes(stackReport(report).mismatches)).toEqual(
      paths.map((p) => `${CHECKOUT} allow-all ${p} environment expected Denied got Allowed`).sort(),
    );
    expect(stackReport(report).mismatches).toHaveLength(paths.length * 7);
    const m = stackReport(report).mismatches.find((x) => x.path === "/checkout-v2/payments/a" && x.method === "POST")!;
    expect(m).toMatchObject({
      principal: CHECKOUT,
      roleArn: "arn:aws:iam::333333333333:role/checkout-staging",
      identity: "allow-all",
      method: "POST",
      path: "/checkout-v2/payments/a",
      endpoint: { kind: "environment", id: stackReport(report).endpointId },
      expected: "Denied",
      got: "Allowed",
    });
    expect(m.decisive).toContain("Allow resource:InvokeCheckout");
    expect(formatReport(report)).toContain(
      `MISMATCH ${STACK}: ${CHECKOUT} (role of checkout), identity policy allow-all: GET,HEAD,POST,PUT,PATCH,DELETE,OPTIONS /checkout-v2/payments/a ` +
        `via ${m.endpoint.id} (this environment's endpoint): expected Denied, got Allowed [Allow resource:InvokeCheckout, Allow identity:AllowEverything]`,
    );
  });

  test("/{stage}/*/checkout/*: checkout reaches other services' paths that contain /checkout/", async () => {
    const broken = mapApiPolicies(
      clean[STACK],
      withResources("InvokeCheckout", (rs) => [`${rs[0].split("/staging/")[0]}/staging/*/checkout/*`]),
    );
    // Only checkout's policy changed: only checkout's API can change its verdicts.
    const report = await verifyWith(broken, ["checkout"]);
    expect(holes(stackTotals(report).mismatches)).toEqual([
      `${CHECKOUT} allow-all /checkout-v2/x/checkout/a environment expected Denied got Allowed`,
      `${CHECKOUT} allow-all /disputes/x/checkout/a environment expected Denied got Allowed`,
    ]);
    const m = stackReport(report).mismatches.find((x) => x.path === "/disputes/x/checkout/a" && x.method === "GET")!;
    expect(m.resourceArn).toMatch(/^arn:aws:execute-api:us-east-1:900000000001:\w{10}\/staging\/GET\/disputes\/x\/checkout\/a$/);
    expect(m.decisive).toContain("Allow resource:InvokeCheckout");
  });

  test("no endpoint condition: every service's own roles get in from another endpoint and from outside any endpoint", async () => {
    const report = await verifyWith(mapApiPolicies(clean[STACK], withoutStatement("DenyOutsideEnvironmentEndpoint")));
    const mismatches = stackTotals(report).mismatches;
    const roles = [
      "arn:aws:sts::333333333333:assumed-role/checkout-staging/farcar-verify",
      "arn:aws:sts::333333333333:assumed-role/checkout-v2-staging/farcar-verify",
      "arn:aws:sts::333333333333:assumed-role/disputes-staging/farcar-verify",
    ];
    expect([...new Set(mismatches.map((m) => `${m.principal} ${m.endpoint.kind}`))].sort()).toEqual(
      roles.flatMap((r) => [`${r} foreign`, `${r} none`]).sort(),
    );
    expect(mismatches.every((m) => m.expected === "Denied" && m.got === "Allowed")).toBe(true);
    // Exactly what they may reach through the right endpoint, with either identity policy.
    expect(mismatches).toHaveLength(stackTotals(cleanReport).allowed * 2);
    expect(mismatches.find((m) => m.path === "/checkout/payments/a/b" && m.method === "GET" && m.endpoint.kind === "none" && m.identity === "generated")).toMatchObject({
      principal: CHECKOUT,
      endpoint: { kind: "none", label: "no VPC endpoint" },
      expected: "Denied",
      got: "Allowed",
    });
  });

  test("no same-account deny: an admin of the proxy account reaches every path through the endpoint", async () => {
    const report = await verifyWith(mapApiPolicies(clean[STACK], withoutStatement("DenyProxyAccountPrincipals")), ["checkout"]);
    const s = stackReport(report);
    expect([...new Set(s.mismatches.map((m) => `${m.principal} ${m.identity} ${m.endpoint.kind} ${m.got}`))]).toEqual([
      `${PROXY_ADMIN} allow-all environment Allowed`,
    ]);
    expect(s.mismatches).toHaveLength(s.paths * 7);
    const m = s.mismatches.find((x) => x.path === "/checkout/ledger/a/b" && x.method === "DELETE")!;
    expect(m).toMatchObject({ principalKind: "proxy-account", expected: "Denied", got: "Allowed" });
    expect(m.decisive).toEqual(["Allow identity:AllowEverything"]);
  });

  test("policy builder given the wrong account to deny: the proxy admin gets in and the real callers are locked out", async () => {
    const current = JSON.parse(clean[STACK].resource.aws_api_gateway_rest_api_policy[Object.keys(clean[STACK].resource.aws_api_gateway_rest_api_policy)[0]].policy);
    const executionArn = current.Statement[0].Resource[0].split("/staging/")[0];
    const vpcEndpointId = current.Statement.find((s: Json) => s.Sid === "DenyOutsideEnvironmentEndpoint").Condition.StringNotEquals["aws:SourceVpce"];
    const env = fleet.environments[0];
    const built = privateApiResourcePolicy({
      executionArn,
      stage: "staging",
      proxyAccountId: "333333333333", // the acquisition's account instead of the proxy account
      vpcEndpointId,
      services: env.inbound.map((s) => ({ name: s.name, roleArns: s.roleArns })),
    });
    const report = await verifyWith(mapApiPolicies(clean[STACK], () => built), ["checkout"]);
    const kinds = new Set(stackReport(report).mismatches.map((m) => `${m.principalKind} expected ${m.expected}`));
    expect([...kinds].sort()).toEqual(["proxy-account expected Denied", "service-role expected Allowed"]);
  });

  test("execute-api:/ shorthand is expanded before simulating (and says so)", async () => {
    const shorthand = mapApiPolicies(
      clean[STACK],
      withResources("InvokeDisputes", (rs) => rs.map((r) => `execute-api:/${r.split("/").slice(1).join("/")}`)),
    );
    const report = await verifyWith(shorthand, ["disputes"]);
    expect(report.problems).toEqual([]);
    expect(report.mismatches).toBe(0);
    expect(stackReport(report, STACK, "disputes").shorthandsExpanded).toBe(7);
    expect(formatReport(report)).toContain("execute-api:/ shorthands expanded: 7");
  });

  test("a reference verify cannot resolve is a problem, never guessed", async () => {
    const report = await verifyWith(
      mapApiPolicies(clean[STACK], (doc) => JSON.parse(JSON.stringify(doc).replace(/\$\{aws_vpc_endpoint\.([\w-]+)\.id\}/, "${aws_vpc_endpoint.$1.arn}"))),
    );
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([expect.stringMatching(/^afterpay-staging-ingress: cannot resolve \$\{aws_vpc_endpoint\.[\w-]+\.arn\} to a concrete value/)]);
  });
});

describe("egress stacks are covered as soon as they exist", () => {
  const fleet = fleetFromYaml(
    fleetWith([
      "        inbound:",
      [
        '        egressProxyAccount: { id: "444444444444" }',
        "        egressNetwork: { callerCidrs: [10.1.0.0/16], upstreamRouting: { cidrs: [10.200.0.0/16] } }",
        "        outbound:",
        "          risk-scores:",
        "            callerRoleArns: [arn:aws:iam::111111111111:role/fraud-engine]",
        "            upstream: { url: https://risk.afterpay.internal, auth: { header: { name: x-api-key } } }",
        "          merchant-profile:",
        "            callerRoleArns: [arn:aws:iam::111111111111:role/merchant-portal]",
        "            upstream: { url: https://merchants.afterpay.internal, auth: { header: { name: x-api-key } } }",
        "        inbound:",
      ].join("\n"),
    ]),
  );
  const synth = synthFleet(fleet);
  const stacks = stacksOf(synth);
  const env = fleet.environments[0];

  /**
   * An egress stack shaped like the ingress one (same policy builder): the ingress APIs carry the
   * outbound services' routes instead (API i: outbound service i), with `policyServices[i]` in API
   * i's resource policy.
   */
  function egressStack(policyServices: { name: string; roleArns: readonly string[] }[]): TerraformJson {
    const ingress = stacks[STACK];
    const egress = JSON.parse(JSON.stringify(ingress)) as Json;
    egress.provider.aws[0].assume_role[0].role_arn = "arn:aws:iam::444444444444:role/OrganizationAccountAccessRole";
    const policyIds = Object.keys(egress.resource.aws_api_gateway_rest_api_policy).sort();
    expect(policyIds).toHaveLength(env.outbound.length);
    const callers: Record<string, string> = {};
    policyIds.forEach((policyId, i) => {
      const res = egress.resource.aws_api_gateway_rest_api_policy[policyId];
      const apiId = /aws_api_gateway_rest_api\.([\w-]+)\.id/.exec(res.rest_api_id)![1];
      for (const r of Object.values<Json>(egress.resource.aws_api_gateway_resource)) {
        if (String(r.parent_id).includes(`aws_api_gateway_rest_api.${apiId}.root_resource_id`)) r.path_part = env.outbound[i].name;
      }
      const current = JSON.parse(res.policy);
      const executionArn: string = current.Statement[0].Resource[0].split("/staging/")[0];
      const vpcEndpointId = current.Statement.find((s: Json) => s.Sid === "DenyOutsideEnvironmentEndpoint").Condition.StringNotEquals["aws:SourceVpce"];
      const policy: PolicyDocument = privateApiResourcePolicy({ executionArn, stage: "staging", proxyAccountId: "444444444444", vpcEndpointId, services: [policyServices[i]] });
      res.policy = renderPolicy(policy);
      callers[env.outbound[i].name] = renderPolicy(callerIdentityPolicy(executionArn, "staging", env.outbound[i].name));
    });
    egress.output.caller_identity_policies.value = callers;
    return egress;
  }

  test("without an egress stack: a note, not a failure", async () => {
    const ingressOnly = Object.fromEntries(Object.entries(stacks).filter(([name]) => !name.endsWith("-egress")));
    const report = await verifyIsolation(fleet, ingressOnly);
    expect(report.ok).toBe(true);
    expect(report.notes).toEqual(["afterpay-staging-egress: not synthesized (2 outbound service(s) in the fleet file): nothing to verify yet"]);
  });

  test("an egress stack is verified against env.outbound in the egress proxy account", async () => {
    const outbound = env.outbound.map((s) => ({ name: s.name, roleArns: s.callerRoleArns }));
    // The fake egress stack is the ingress stack with an egress policy: its integrations still reach
    // the inbound Farcars, which the integration trace rightly rejects. This test is about the
    // policy matrix; verify/integrations.ts has its own tests.
    const report = await verifyIsolation(fleet, { ...stacks, "afterpay-staging-egress": egressStack(outbound) }, { traceIntegrations: false });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    for (const service of ["risk-scores", "merchant-profile"]) {
      const egress = stackReport(report, "afterpay-staging-egress", service);
      expect(egress).toMatchObject({ kind: "egress", apiAccountId: "444444444444", services: [service] });
      // the acquisition's inbound roles are principals "listed elsewhere" for the egress API
      expect(egress.allowed).toBeGreaterThan(0);
    }
    expect([...new Set(report.stacks.map((s) => s.stack))].sort()).toEqual(["afterpay-staging-egress", "afterpay-staging-ingress"]);
  });

  test("an egress policy that lets the inbound roles in is caught", async () => {
    const wrong = env.inbound.map((s) => ({ name: s.name, roleArns: s.roleArns }));
    const report = await verifyIsolation(fleet, { ...stacks, "afterpay-staging-egress": egressStack(wrong) }, { stacks: ["afterpay-staging-egress"], traceIntegrations: false });
    expect(report.ok).toBe(false);
    const s = stackTotals(report, "afterpay-staging-egress");
    expect(new Set(s.mismatches.map((m) => `${m.principalKind} ${m.expected}`))).toEqual(
      new Set(["listed-elsewhere Denied", "service-role Allowed"]),
    );
  });
});

describe("a service narrowed to some methods", () => {
  const fleet = fleetFromYaml(fleetWith(["            targets: [ledger]\n", "            targets: [ledger]\n            methods: [GET, POST]\n"]));
  const synth = synthFleet(fleet);
  const clean = stacksOf(synth);
  const DISPUTES = "arn:aws:sts::333333333333:assumed-role/disputes-staging/farcar-verify";

  test("the generated policy allows exactly the listed methods: other methods are expected and found denied", async () => {
    const report = await verifyIsolation(fleet, clean, { stacks: [STACK] });
    expect(report.mismatches).toBe(0);
    // checkout (7 methods) as before; disputes now 2 methods: 2 identity variants × 4 owned paths.
    expect(stackReport(report).allowed).toBe(7 * 2 * 6);
    expect(stackReport(report, STACK, "disputes").allowed).toBe(2 * 2 * 4);
  });

  test("the fast engine and runSimulation agree on every case of an API's whole matrix", async () => {
    // disputes' API: every kind of case (principal kinds, both identity variants, own and foreign
    // paths, allowed and narrowed-away methods, every endpoint) in one matrix; runSimulation costs
    // ~1.5 ms a case, so one API rather than the stack.
    const stacks = { ...clean, [STACK]: onlyApisOf(clean[STACK], ["disputes"]) };
    const [fast, checked] = [
      await verifyIsolation(fleet, stacks, { stacks: [STACK], crossCheckEvery: 0 }),
      await verifyIsolation(fleet, stacks, { stacks: [STACK], engine: "checked" }),
    ];
    expect(checked.problems).toEqual([]);
    expect(checked.ok).toBe(true);
    const summary = (r: IsolationReport) => r.stacks.map(({ services, cases, allowed, denied, principals, paths }) => ({ services, cases, allowed, denied, principals, paths }));
    // 5 identity variants (disputes' role × 2, proxy admin, unlisted, checkout's role) × 11 paths
    // (4 its own) × 7 methods × 3 endpoints; allowed: GET and POST × 2 identity variants × 4 paths.
    expect(summary(fast)).toEqual([{ services: ["disputes"], cases: 5 * 11 * 21, allowed: 2 * 2 * 4, denied: 5 * 11 * 21 - 16, principals: 4, paths: 11 }]);
    expect(summary(checked)).toEqual(summary(fast));
  });

  test("a policy that ignores the narrowing is caught for every other method", async () => {
    const broken = mapApiPolicies(
      clean[STACK],
      withResources("InvokeDisputes", (rs) => API_GATEWAY_METHODS.map((m) => rs[0].replace("/GET/", `/${m}/`))),
    );
    const report = await verifyIsolation(fleet, { ...clean, [STACK]: broken }, { stacks: [STACK] });
    const list = stackTotals(report).mismatches;
    const methods = new Set(list.filter((m) => m.principal === DISPUTES).map((m) => m.method));
    expect([...methods].sort()).toEqual(["DELETE", "HEAD", "OPTIONS", "PATCH", "PUT"]);
    expect(list.every((m) => m.expected === "Denied" && m.got === "Allowed" && m.path.startsWith("/disputes/"))).toBe(true);
  });
});
