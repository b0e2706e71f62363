/**
 * Bad fleet files: every problem names file:line:col, the YAML path, the fix and the value
 * received — all problems at once, nothing synthesized.
 */
import { FleetError, formatProblem } from "../../config/errors";
import { fleetFromYaml } from "../support/synth";
import { BASE_FLEET, fleetWith } from "./fleet-fixture";

function problemsOf(text: string): string[] {
  try {
    fleetFromYaml(text);
  } catch (err) {
    if (err instanceof FleetError) return err.problems.map(formatProblem);
    throw err;
  }
  throw new Error("expected the fleet to be rejected");
}

const ENV = "acquisitions.afterpay.environments.staging";

describe("fleet file errors", () => {
  test("the base fixture is valid", () => {
    expect(fleetFromYaml(BASE_FLEET).environments).toHaveLength(1);
  });

  test.each<[string, [string | RegExp, string][], string[]]>([
    [
      "a target that is not a mesh service",
      [["targets: [ledger]", "targets: [ledgr]"]],
      [`inline.yaml:28:23: ${ENV}.inbound.disputes.targets[0]: is not a mesh service; known targets: payments, ledger (got "ledgr")`],
    ],
    [
      "a duplicate mesh service name",
      [["    ledger: { spiffeId: spiffe://block.example/ledger", "    payments: { spiffeId: spiffe://block.example/ledger"]],
      [
        'inline.yaml:12:5: mesh.services.payments: duplicate key "payments": every name in a map must be unique; rename or merge the two entries',
        `inline.yaml:25:33: ${ENV}.inbound.checkout.targets[1]: is not a mesh service; known targets: payments (got "ledger")`,
        `inline.yaml:28:23: ${ENV}.inbound.disputes.targets[0]: is not a mesh service; known targets: payments (got "ledger")`,
      ],
    ],
    [
      "an environment with neither account id nor email",
      [["proxyAccount: { email: aws+afterpay-staging@block.example }", "proxyAccount: {}"]],
      [`inline.yaml:17:23: ${ENV}.proxyAccount: needs id (adopt an existing account) or email (create a new one) (got {})`],
    ],
    [
      "an environment with both account id and email",
      [["proxyAccount: { email: aws+afterpay-staging@block.example }", 'proxyAccount: { id: "222222222222", email: a@b.example }']],
      [
        `inline.yaml:17:23: ${ENV}.proxyAccount: set either id (adopt an account) or email (create one), not both (got {"id":"222222222222","email":"a@b.example"})`,
      ],
    ],
    [
      "an invalid CIDR",
      [["10.64.0.0/20", "10.64.0.0/33"]],
      [`inline.yaml:20:25: ${ENV}.network.proxyVpcCidr: is not a valid CIDR block; expected e.g. 10.64.0.0/20 (got "10.64.0.0/33")`],
    ],
    [
      "a CIDR with host bits",
      [["10.64.0.0/20", "10.64.1.0/20"]],
      [`inline.yaml:20:25: ${ENV}.network.proxyVpcCidr: has host bits set; the network address is 10.64.0.0/20 (got "10.64.1.0/20")`],
    ],
    [
      "overlapping VPC CIDRs",
      [["10.65.0.0/22", "10.64.4.0/22"]],
      [
        `inline.yaml:21:31: ${ENV}.network.acquisitionVpcCidr: overlaps proxyVpcCidr 10.64.0.0/20; the two VPCs are connected and need disjoint ranges (got "10.64.4.0/22")`,
      ],
    ],
    [
      "an availability zone outside the region",
      [["us-east-1b]", "eu-west-1a]"]],
      [`inline.yaml:19:43: ${ENV}.network.availabilityZones[1]: is not an availability zone of the fleet region us-east-1 (e.g. us-east-1a) (got "eu-west-1a")`],
    ],
    [
      "a malformed role ARN",
      [["arn:aws:iam::333333333333:role/checkout-staging", "arn:aws:iam::3333:user/bob"]],
      [
        `inline.yaml:24:24: ${ENV}.inbound.checkout.roleArns[0]: expected an IAM role ARN such as arn:aws:iam::333333333333:role/checkout-staging (got "arn:aws:iam::3333:user/bob")`,
      ],
    ],
    [
      "a name that is not a DNS label",
      [["          checkout:", "          Check_Out:"]],
      [
        `inline.yaml:23:11: ${ENV}.inbound.Check_Out: an inbound service name must be a lowercase DNS label: a-z, 0-9 and '-', starting with a letter, at most 63 characters (e.g. "checkout") (got "Check_Out")`,
      ],
    ],
    [
      "an unknown field (a typo)",
      [["        network:", "        netwrk: {}\n        network:"]],
      [`inline.yaml:18:9: ${ENV}.netwrk: unknown field "netwrk"; allowed here: region, proxyAccount, network, identity, farcar, egressProxyAccount, egressNetwork, inbound, outbound`],
    ],
    ["a missing required field", [["  trustDomain: block.example\n", ""]], ['inline.yaml:8:3: mesh.trustDomain: required field "trustDomain" is missing — SPIFFE trust domain of the parent mesh; Farcar identities are minted in it.']],
    [
      "one role acting as two services",
      [["role/disputes-staging", "role/checkout-staging"]],
      [
        `inline.yaml:27:24: ${ENV}.inbound.disputes.roleArns[0]: already acts as inbound service "checkout"; a role may act as one service only (1:1 identity) (got "arn:aws:iam::333333333333:role/checkout-staging")`,
      ],
    ],
    [
      "an unquoted account ID",
      [['managementAccountId: "111111111111"', "managementAccountId: 111111111111"]],
      ['inline.yaml:5:24: organization.managementAccountId: an AWS account ID must be a quoted string of 12 digits, e.g. "222222222222" (got 111111111111)'],
    ],
    [
      "a trust bundle that does not exist",
      [["mesh/ca-bundle.pem", "mesh/missing.pem"]],
      ['inline.yaml:9:16: mesh.trustBundle: file not found at examples/mesh/missing.pem; paths are relative to the fleet file (got "mesh/missing.pem")'],
    ],
    [
      "a mesh SPIFFE ID outside the trust domain",
      [["spiffe://block.example/ledger", "spiffe://other.example/ledger"]],
      ['inline.yaml:12:25: mesh.services.ledger.spiffeId: must be in the mesh trust domain: start with spiffe://block.example/ (got "spiffe://other.example/ledger")'],
    ],
    ["an unsupported version", [["version: 1", "version: 2"]], ["inline.yaml:1:10: version: version must be 1 (the only fleet-file version) (got 2)"]],
    [
      "broken YAML syntax",
      [["targets: [ledger]", "targets: [ledger"]],
      ["inline.yaml:29:1: (root): invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]"],
    ],
    [
      "a caller CIDR open to the internet",
      [["          acquisitionVpcCidr: 10.65.0.0/22\n", "          acquisitionVpcCidr: 10.65.0.0/22\n          acquisitionCallerCidrs: [0.0.0.0/0]\n"]],
      [
        `inline.yaml:22:36: ${ENV}.network.acquisitionCallerCidrs[0]: would admit the whole internet to the execute-api endpoint; list the acquisition's workload CIDRs (got "0.0.0.0/0")`,
      ],
    ],
    [
      "a SPIFFE ID template that does not tell services apart",
      [["  trustBundle: mesh/ca-bundle.pem\n", "  trustBundle: mesh/ca-bundle.pem\n  spiffeIdTemplate: spiffe://{trustDomain}/acq/{acquisition}/{environment}\n"]],
      [
        'inline.yaml:10:21: mesh.spiffeIdTemplate: must contain {service} so every Farcar gets a distinct identity (got "spiffe://{trustDomain}/acq/{acquisition}/{environment}")',
        `inline.yaml:27:11: ${ENV}.inbound.disputes: its Farcar SPIFFE ID spiffe://block.example/acq/afterpay/staging equals that of afterpay/staging/checkout; mesh.spiffeIdTemplate must keep identities distinct`,
      ],
    ],
    [
      "a Farcar identity that would impersonate a mesh service",
      [
        ["  trustBundle: mesh/ca-bundle.pem\n", "  trustBundle: mesh/ca-bundle.pem\n  spiffeIdTemplate: spiffe://{trustDomain}/{service}#{acquisition}{environment}\n"],
        ["    ledger: { spiffeId: spiffe://block.example/ledger,", "    ledger: { spiffeId: spiffe://block.example/checkout#afterpaystaging,"],
      ],
      expect.arrayContaining([
        expect.stringContaining(`${ENV}.inbound.checkout: its Farcar SPIFFE ID spiffe://block.example/checkout#afterpaystaging is the identity of mesh service "ledger"`),
      ]) as unknown as string[],
    ],
    [
      "a Fargate task size that does not exist",
      [["        network:", "        farcar: { cpu: 4096, memoryMiB: 1024 }\n        network:"]],
      [`inline.yaml:18:41: ${ENV}.farcar.memoryMiB: is not a Fargate size for cpu 4096: 8192 to 30720 in steps of 1024 (got 1024)`],
    ],
    [
      "a tag key reserved by AWS or Farcar",
      [["tags: { cost-center: platform }", "tags: { aws:owner: me, farcar:stack: x }"]],
      [
        'inline.yaml:3:9: tags.aws:owner: tag keys starting with "aws:" are reserved by AWS; rename the tag (got "aws:owner")',
        'inline.yaml:3:24: tags.farcar:stack: tag keys starting with "farcar:" are set by Farcar itself; rename the tag (got "farcar:stack")',
      ],
    ],
    [
      "a mesh port out of range",
      [["payments.mesh.internal:8443", "payments.mesh.internal:98443"]],
      ['inline.yaml:11:69: mesh.services.payments.address: port must be between 1 and 65535 (got "payments.mesh.internal:98443")'],
    ],
    [
      "a method that is not an HTTP method API Gateway knows, or one listed twice",
      [["            targets: [ledger]\n", "            targets: [ledger]\n            methods: [GET, get, GET]\n"]],
      [
        `inline.yaml:29:28: ${ENV}.inbound.disputes.methods[1]: methods are GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS (uppercase) (got "get")`,
        `inline.yaml:29:33: ${ENV}.inbound.disputes.methods[2]: listed twice; list each method once (got "GET")`,
      ],
    ],
  ])("rejects %s", (_name, edits, expected) => {
    expect(problemsOf(fleetWith(...edits))).toEqual(expected);
  });

  test("reports every problem at once, in file order", () => {
    const problems = problemsOf(
      fleetWith(["version: 1", "version: 3"], ["us-east-1b]", "us-east-2b]"], ["targets: [ledger]", "targets: [nope]"]),
    );
    expect(problems.map((p) => p.split(":").slice(1, 2)[0])).toEqual(["1", "19", "28"]);
  });
});
