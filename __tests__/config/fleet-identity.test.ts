/**
 * Fleet-wide identity checks (config/checks.ts identityProblems): one role per service across the
 * whole fleet, no roles of proxy or management accounts, SPIFFE IDs neither equal nor prefixes of
 * one another and inside the mesh trust domain — each refused with a located message.
 */
import { parseRoleArn } from "../../config/checks";
import { fleetFromYaml, fleetProblems } from "../support/synth";
import { BASE_FLEET, fleetWith } from "./fleet-fixture";

const problemsOf = fleetProblems;

const ENV = "acquisitions.afterpay.environments.staging";
const PROD = "acquisitions.afterpay.environments.production";

/** BASE_FLEET plus a second environment (production, adopted account 222222222222). */
function withProduction(inbound: string, extra: [string | RegExp, string][] = []): string {
  return `${fleetWith(...extra)}      production:
        proxyAccount: { id: "222222222222" }
        network:
          availabilityZones: [us-east-1a, us-east-1b]
          proxyVpcCidr: 10.64.16.0/20
          acquisitionVpcCidr: 10.65.4.0/22
          acquisitionCallerCidrs: [10.201.0.0/16]
        inbound:
${inbound}`;
}

describe("role identity across the fleet", () => {
  test("GIVEN the base fleet with a second environment THEN it is valid", () => {
    expect(fleetFromYaml(withProduction("          checkout: { roleArns: [arn:aws:iam::333333333333:role/checkout-production], targets: [payments] }\n")).environments).toHaveLength(2);
  });

  test("refuses one role acting for services of two environments", () => {
    expect(problemsOf(withProduction("          checkout: { roleArns: [arn:aws:iam::333333333333:role/checkout-staging], targets: [payments] }\n"))).toEqual([
      `inline.yaml:39:34: ${PROD}.inbound.checkout.roleArns[0]: already acts as inbound service "checkout" of afterpay/staging; a role may act as one service only across the whole fleet (1:1 identity): give each service its own role (got "arn:aws:iam::333333333333:role/checkout-staging")`,
    ]);
  });

  test("refuses the same role spelled with another case or path", () => {
    expect(problemsOf(fleetWith(["role/disputes-staging", "role/ops/Checkout-Staging"]))).toEqual([
      `inline.yaml:29:24: ${ENV}.inbound.disputes.roleArns[0]: already acts as inbound service "checkout" of afterpay/staging as arn:aws:iam::333333333333:role/checkout-staging (IAM role names ignore case and path: the same role); a role may act as one service only across the whole fleet (1:1 identity): give each service its own role (got "arn:aws:iam::333333333333:role/ops/Checkout-Staging")`,
    ]);
  });

  test("refuses a role listed twice for one service, however spelled", () => {
    expect(problemsOf(fleetWith(["roleArns: [arn:aws:iam::333333333333:role/checkout-staging]", "roleArns: [arn:aws:iam::333333333333:role/checkout-staging, arn:aws:iam::333333333333:role/x/CHECKOUT-staging]"]))).toEqual([
      `inline.yaml:26:73: ${ENV}.inbound.checkout.roleArns[1]: listed twice as arn:aws:iam::333333333333:role/checkout-staging (IAM role names ignore case and path: the same role); list each role once (got "arn:aws:iam::333333333333:role/x/CHECKOUT-staging")`,
    ]);
  });

  test("the same role name in another account is another role", () => {
    expect(fleetFromYaml(fleetWith(["role/disputes-staging", "role/checkout-staging"], ["arn:aws:iam::333333333333:role/checkout-staging", "arn:aws:iam::444444444444:role/checkout-staging"])).environments).toHaveLength(1);
  });

  test("refuses a role of the management account or of any proxy account", () => {
    expect(
      problemsOf(
        withProduction("          checkout: { roleArns: [arn:aws:iam::222222222222:role/checkout], targets: [payments] }\n", [
          ["arn:aws:iam::333333333333:role/disputes-staging", "arn:aws:iam::111111111111:role/disputes"],
        ]),
      ),
    ).toEqual([
      `inline.yaml:29:24: ${ENV}.inbound.disputes.roleArns[0]: is a role of the management account, which no SCP restricts; a role acting as an acquisition service must live in the acquisition's accounts (got "arn:aws:iam::111111111111:role/disputes")`,
      `inline.yaml:39:34: ${PROD}.inbound.checkout.roleArns[0]: is a role of the proxy account of afterpay/production; proxy-account principals never act as a service (the API denies them): use the acquisition's own role (got "arn:aws:iam::222222222222:role/checkout")`,
    ]);
  });

  test("refuses an egress caller role of a proxy account", () => {
    const text = withProduction("          checkout: { roleArns: [arn:aws:iam::333333333333:role/checkout-production], targets: [payments] }\n") +
      `        egressProxyAccount: { id: "444444444444" }
        egressNetwork: { callerCidrs: [10.1.0.0/16], upstreamRouting: { cidrs: [10.96.0.0/16] } }
        outbound:
          risk:
            callerRoleArns: [arn:aws:iam::222222222222:role/fraud]
            upstream: { url: https://risk.afterpay.internal, auth: { header: { name: x-api-key } } }
`;
    expect(problemsOf(text)).toEqual([
      `inline.yaml:44:30: ${PROD}.outbound.risk.callerRoleArns[0]: is a role of the proxy account of afterpay/production; callers are parent services' roles, never a proxy account's (got "arn:aws:iam::222222222222:role/fraud")`,
    ]);
  });

  test("parseRoleArn keys a role by partition, account and lower-case name", () => {
    expect(parseRoleArn("arn:aws:iam::333333333333:role/a/b/Worker")).toEqual({ partition: "aws", account: "333333333333", name: "Worker", key: "aws:333333333333:worker" });
    expect(parseRoleArn("arn:aws:iam::333333333333:user/worker")).toBeUndefined();
  });
});

describe("SPIFFE identities", () => {
  const template = (t: string): [string, string] => ["  trustBundle: mesh/ca-bundle.pem\n", `  trustBundle: mesh/ca-bundle.pem\n  spiffeIdTemplate: ${t}\n`];

  test("refuses a Farcar ID under a mesh service's ID", () => {
    expect(problemsOf(fleetWith(template("spiffe://{trustDomain}/payments/{acquisition}/{environment}/{service}")))).toEqual([
      `inline.yaml:26:11: ${ENV}.inbound.checkout: its Farcar SPIFFE ID spiffe://block.example/payments/afterpay/staging/checkout lies under the ID of mesh service "payments" (spiffe://block.example/payments); a mesh grant for spiffe://block.example/payments/* would cover it: change mesh.spiffeIdTemplate`,
      `inline.yaml:29:11: ${ENV}.inbound.disputes: its Farcar SPIFFE ID spiffe://block.example/payments/afterpay/staging/disputes lies under the ID of mesh service "payments" (spiffe://block.example/payments); a mesh grant for spiffe://block.example/payments/* would cover it: change mesh.spiffeIdTemplate`,
    ]);
  });

  test("refuses a mesh service ID under a Farcar's ID", () => {
    expect(problemsOf(fleetWith(["spiffe://block.example/ledger", "spiffe://block.example/acquisition/afterpay/staging/checkout/ledger"]))).toEqual([
      `inline.yaml:25:11: ${ENV}.inbound.checkout: its Farcar SPIFFE ID spiffe://block.example/acquisition/afterpay/staging/checkout is a prefix of the ID of mesh service "ledger" (spiffe://block.example/acquisition/afterpay/staging/checkout/ledger); a mesh grant for spiffe://block.example/acquisition/afterpay/staging/checkout/* would cover mesh service "ledger": change mesh.spiffeIdTemplate`,
    ]);
  });

  test("refuses a mesh service ID under another's", () => {
    expect(problemsOf(fleetWith(["spiffe://block.example/ledger", "spiffe://block.example/payments/ledger"]))).toEqual([
      `inline.yaml:13:25: mesh.services.ledger.spiffeId: lies under the SPIFFE ID of mesh service "payments" (spiffe://block.example/payments); no identity may be a path prefix of another (got "spiffe://block.example/payments/ledger")`,
    ]);
  });

  test("prefixes are compared by path segment: /pay is not a prefix of /payments", () => {
    expect(fleetFromYaml(fleetWith(["spiffe://block.example/ledger", "spiffe://block.example/pay"])).environments).toHaveLength(1);
  });

  test("refuses two mesh services with one ID", () => {
    expect(problemsOf(fleetWith(["spiffe://block.example/ledger", "spiffe://block.example/payments"]))).toEqual([
      'inline.yaml:13:25: mesh.services.ledger.spiffeId: same SPIFFE ID as mesh service "payments"; each service has its own identity (got "spiffe://block.example/payments")',
    ]);
  });

  test("refuses a template that leaves the mesh trust domain", () => {
    expect(problemsOf(fleetWith(template("spiffe://other.example/{trustDomain}/{acquisition}/{environment}/{service}")))).toEqual([
      'inline.yaml:10:21: mesh.spiffeIdTemplate: gives Farcar SPIFFE IDs outside the mesh trust domain (e.g. spiffe://other.example/block.example/afterpay/staging/checkout); start it with spiffe://{trustDomain}/ (got "spiffe://other.example/{trustDomain}/{acquisition}/{environment}/{service}")',
    ]);
  });

  test("Farcar IDs of two acquisitions may not collide through the template either", () => {
    const text = withProduction("          checkout: { roleArns: [arn:aws:iam::333333333333:role/checkout-production], targets: [payments] }\n", [
      template("spiffe://{trustDomain}/acq/{acquisition}/{service}"),
    ]);
    expect(problemsOf(text)).toEqual([
      'inline.yaml:10:21: mesh.spiffeIdTemplate: must contain {environment} so every Farcar gets a distinct identity (got "spiffe://{trustDomain}/acq/{acquisition}/{service}")',
      `inline.yaml:40:11: ${PROD}.inbound.checkout: its Farcar SPIFFE ID spiffe://block.example/acq/afterpay/checkout equals that of afterpay/staging/checkout; mesh.spiffeIdTemplate must keep identities distinct`,
    ]);
  });

  test("the base fleet file itself is unchanged by these checks", () => {
    expect(() => fleetFromYaml(BASE_FLEET)).not.toThrow();
  });
});
