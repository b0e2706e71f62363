/**
 * Bad fleet files: every problem names file:line:col, the YAML path, the fix and the value
 * received — all problems at once, nothing synthesized.
 */
import { fleetFromYaml, fleetProblems } from "../support/synth";
import { BASE_FLEET, fleetWith } from "./fleet-fixture";

const problemsOf = fleetProblems;

const ENV = "acquisitions.afterpay.environments.staging";

describe("fleet file errors", () => {
  test("the base fixture is valid", () => {
    expect(fleetFromYaml(BASE_FLEET).environments).toHaveLength(1);
  });

  test.each<[string, [string | RegExp, string][], string[]]>([
    [
      "a target that is not a mesh service",
      [["targets: [ledger]", "targets: [ledgr]"]],
      [`inline.yaml:30:23: ${ENV}.inbound.disputes.targets[0]: is not a mesh service; known targets: payments, ledger (got "ledgr")`],
    ],
    [
      "a duplicate mesh service name",
      [["    ledger: { spiffeId: spiffe://block.example/ledger", "    payments: { spiffeId: spiffe://block.example/ledger"]],
      [
        'inline.yaml:13:5: mesh.services.payments: duplicate key "payments": every name in a map must be unique; rename or merge the two entries',
        `inline.yaml:27:33: ${ENV}.inbound.checkout.targets[1]: is not a mesh service; known targets: payments (got "ledger")`,
        `inline.yaml:30:23: ${ENV}.inbound.disputes.targets[0]: is not a mesh service; known targets: payments (got "ledger")`,
      ],
    ],
    [
      "an environment with neither account id nor email",
      [["proxyAccount: { email: aws+afterpay-staging@block.example }", "proxyAccount: {}"]],
      [`inline.yaml:18:23: ${ENV}.proxyAccount: needs id (adopt an existing account) or email (create a new one) (got {})`],
    ],
    [
      "an environment with both account id and email",
      [["proxyAccount: { email: aws+afterpay-staging@block.example }", 'proxyAccount: { id: "222222222222", email: a@b.example }']],
      [
        `inline.yaml:18:23: ${ENV}.proxyAccount: set either id (adopt an account) or email (create one), not both (got {"id":"222222222222","email":"a@b.example"})`,
      ],
    ],
    [
      "an invalid CIDR",
      [["10.64.0.0/20", "10.64.0.0/33"]],
      [`inline.yaml:21:25: ${ENV}.network.proxyVpcCidr: is not a valid CIDR block; expected e.g. 10.64.0.0/20 (got "10.64.0.0/33")`],
    ],
    [
      "a CIDR with host bits",
      [["10.64.0.0/20", "10.64.1.0/20"]],
      [`inline.yaml:21:25: ${ENV}.network.proxyVpcCidr: has host bits set; the network address is 10.64.0.0/20 (got "10.64.1.0/20")`],
    ],
    [
      "overlapping VPC CIDRs",
      [["10.65.0.0/22", "10.64.4.0/22"]],
      [
        `inline.yaml:22:31: ${ENV}.network.acquisitionVpcCidr: overlaps proxyVpcCidr 10.64.0.0/20; the two VPCs are connected and need disjoint ranges (got "10.64.4.0/22")`,
      ],
    ],
    [
      "an availability zone outside the region",
      [["us-east-1b]", "eu-west-1a]"]],
      [`inline.yaml:20:43: ${ENV}.network.availabilityZones[1]: is not an availability zone of the fleet region us-east-1 (e.g. us-east-1a) (got "eu-west-1a")`],
    ],
    [
      "a malformed role ARN",
      [["arn:aws:iam::333333333333:role/checkout-staging", "arn:aws:iam::3333:user/bob"]],
      [
        `inline.yaml:26:24: ${ENV}.inbound.checkout.roleArns[0]: expected an IAM role ARN such as arn:aws:iam::333333333333:role/checkout-staging (got "arn:aws:iam::3333:user/bob")`,
      ],
    ],
    [
      "a name that is not a DNS label",
      [["          checkout:", "          Check_Out:"]],
      [
        `inline.yaml:25:11: ${ENV}.inbound.Check_Out: an inbound service name must be a lowercase DNS label: a-z, 0-9 and '-', starting with a letter, at most 63 characters (e.g. "checkout") (got "Check_Out")`,
      ],
    ],
    [
      "an unknown field (a typo)",
      [["        network:", "        netwrk: {}\n        network:"]],
      [`inline.yaml:19:9: ${ENV}.netwrk: unknown field "netwrk"; allowed here: region, proxyAccount, network, identity, farcar, egressProxyAccount, egressNetwork, inbound, outbound`],
    ],
    ["a missing required field", [["  trustDomain: block.example\n", ""]], ['inline.yaml:8:3: mesh.trustDomain: required field "trustDomain" is missing — SPIFFE trust domain of the parent mesh; Farcar identities are minted in it.']],
    [
      "one role acting as two services",
      [["role/disputes-staging", "role/checkout-staging"]],
      [
        `inline.yaml:29:24: ${ENV}.inbound.disputes.roleArns[0]: already acts as inbound service "checkout" of afterpay/staging; a role may act as one service only across the whole fleet (1:1 identity): give each service its own role (got "arn:aws:iam::333333333333:role/checkout-staging")`,
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
      ['inline.yaml:13:25: mesh.services.ledger.spiffeId: must be in the mesh trust domain: start with spiffe://block.example/ (got "spiffe://other.example/ledger")'],
    ],
    ["an unsupported version", [["version: 1", "version: 2"]], ["inline.yaml:1:10: version: version must be 1 (the only fleet-file version) (got 2)"]],
    [
      "broken YAML syntax",
      [["targets: [ledger]", "targets: [ledger"]],
      ["inline.yaml:30:22: acquisitions.afterpay.environments.staging.inbound.disputes.targets: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]; close the list with ] (or the map with }) on the same line, or write it as an indented block"],
    ],
    [
      "a caller CIDR open to the internet",
      [["acquisitionCallerCidrs: [10.200.0.0/16]", "acquisitionCallerCidrs: [0.0.0.0/0]"]],
      [
        `inline.yaml:23:36: ${ENV}.network.acquisitionCallerCidrs[0]: would admit the whole internet to the execute-api endpoint; list the acquisition's workload CIDRs (got "0.0.0.0/0")`,
      ],
    ],
    [
      "a SPIFFE ID template that does not tell services apart",
      [["  trustBundle: mesh/ca-bundle.pem\n", "  trustBundle: mesh/ca-bundle.pem\n  spiffeIdTemplate: spiffe://{trustDomain}/acq/{acquisition}/{environment}\n"]],
      [
        'inline.yaml:10:21: mesh.spiffeIdTemplate: must contain {service} so every Farcar gets a distinct identity (got "spiffe://{trustDomain}/acq/{acquisition}/{environment}")',
        `inline.yaml:29:11: ${ENV}.inbound.disputes: its Farcar SPIFFE ID spiffe://block.example/acq/afterpay/staging equals that of afterpay/staging/checkout; mesh.spiffeIdTemplate must keep identities distinct`,
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
      [`inline.yaml:19:41: ${ENV}.farcar.memoryMiB: is not a Fargate size for cpu 4096: 8192 to 30720 in steps of 1024 (got 1024)`],
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
      ['inline.yaml:12:69: mesh.services.payments.address: port must be between 1 and 65535 (got "payments.mesh.internal:98443")'],
    ],
    [
      "a method that is not an HTTP method API Gateway knows, or one listed twice",
      [["            targets: [ledger]\n", "            targets: [ledger]\n            methods: [GET, get, GET]\n"]],
      [
        `inline.yaml:31:28: ${ENV}.inbound.disputes.methods[1]: methods are GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS (uppercase) (got "get")`,
        `inline.yaml:31:33: ${ENV}.inbound.disputes.methods[2]: listed twice; list each method once (got "GET")`,
      ],
    ],
  ])("rejects %s", (_name, edits, expected) => {
    expect(problemsOf(fleetWith(...edits))).toEqual(expected);
  });

  describe("egress upstreams carry a credential: https:// only", () => {
    const outbound = (auth: string, url: string) =>
      BASE_FLEET +
      '        egressProxyAccount: { id: "444444444444" }\n' +
      "        egressNetwork: { callerCidrs: [10.10.0.0/16], upstreamRouting: { cidrs: [10.96.0.0/16] } }\n" +
      "        outbound:\n" +
      "          catalog:\n" +
      "            callerRoleArns: [arn:aws:iam::111111111111:role/music-catalog-sync]\n" +
      `            upstream: { url: "${url}", auth: ${auth} }\n`;

    test.each([
      ["header", "{ header: { name: x-api-key } }", "the credential header crosses the network in clear text"],
      ["sigv4", "{ sigv4: { service: execute-api, region: ap-southeast-2 } }", "the SigV4-signed request (its Authorization header and security token) crosses the network in clear text"],
      ["mtls", "{ mtls: { caBundle: afterpay/ca-bundle.pem } }", "the client certificate (it is presented in TLS) cannot be sent"],
    ])("rejects a %s upstream over http://, at the url, with the https:// fix", (kind, auth, what) => {
      expect(problemsOf(outbound(auth, "http://catalog.tidal.internal:8080/v2"))).toEqual([
        `inline.yaml:36:30: ${ENV}.outbound.catalog.upstream.url: must be https:// with ${kind} auth: over http:// ${what}; ` +
          'use https://catalog.tidal.internal:8080/v2 (got "http://catalog.tidal.internal:8080/v2")',
      ]);
    });

    test("accepts the same upstreams over https://", () => {
      expect(fleetFromYaml(outbound("{ header: { name: x-api-key } }", "https://catalog.tidal.internal")).environments[0].outbound).toHaveLength(1);
    });
  });

  describe("what a working deployment needs (issue 11 item 11)", () => {
    test("mesh.routing is required with inbound services, with the exact block to add", () => {
      expect(problemsOf(fleetWith(["  routing: { transitGatewayId: tgw-0a1b2c3d4e5f60718, cidrs: [10.0.0.0/12] }\n", ""]))).toEqual([
        "inline.yaml:8:3: mesh.routing: is required when environments have inbound services: Farcars may connect only to the mesh CIDRs it lists, " +
          "and are routed there. Add under mesh: routing: { transitGatewayId: tgw-0123456789abcdef0, cidrs: [10.0.0.0/12] } with your transit gateway " +
          "and mesh CIDRs (leave out transitGatewayId if you route the proxy VPCs to the mesh yourself)",
      ]);
    });

    test("mesh.routing without a transit gateway is accepted (routes managed outside Farcar)", () => {
      const fleet = fleetFromYaml(fleetWith(["routing: { transitGatewayId: tgw-0a1b2c3d4e5f60718, cidrs", "routing: { cidrs"]));
      expect(fleet.mesh.routing).toEqual({ cidrs: ["10.0.0.0/12"] });
    });

    test("acquisitionCallerCidrs is required with inbound services (the endpoint VPC holds no callers)", () => {
      expect(problemsOf(fleetWith(["          acquisitionCallerCidrs: [10.200.0.0/16]\n", ""]))).toEqual([
        `inline.yaml:20:11: ${ENV}.network.acquisitionCallerCidrs: is required for inbound services: list the CIDRs of the acquisition workloads that ` +
          "call the API, e.g. acquisitionCallerCidrs: [10.200.0.0/16] (the old default, acquisitionVpcCidr, is the endpoint VPC itself, where no caller runs)",
      ]);
    });

    test("outbound services need egressNetwork.callerCidrs and egressNetwork.upstreamRouting", () => {
      const problems = problemsOf(
        BASE_FLEET +
          '        egressProxyAccount: { id: "444444444444" }\n' +
          "        outbound:\n" +
          "          catalog: { callerRoleArns: [arn:aws:iam::111111111111:role/sync], upstream: { url: https://catalog.tidal.internal, auth: { header: { name: x-api-key } } } }\n",
      );
      expect(problems).toEqual([
        expect.stringMatching(new RegExp(`^inline\\.yaml:18:9: ${ENV}\\.egressNetwork\\.callerCidrs: is required for outbound services: .*egressNetwork: \\{ callerCidrs: \\[`)),
        expect.stringMatching(
          new RegExp(`^inline\\.yaml:18:9: ${ENV}\\.egressNetwork\\.upstreamRouting: is required for outbound services: .*upstreamRouting: \\{ transitGatewayId: `),
        ),
      ]);
    });

    test("caller CIDRs cannot be the endpoint VPC itself (the old default)", () => {
      expect(problemsOf(fleetWith(["acquisitionCallerCidrs: [10.200.0.0/16]", "acquisitionCallerCidrs: [10.65.0.0/22]"]))).toEqual([
        `inline.yaml:23:36: ${ENV}.network.acquisitionCallerCidrs[0]: overlaps acquisitionVpcCidr 10.65.0.0/22, the endpoint VPC itself, where no caller runs; ` +
          `list the acquisition's workload CIDRs (got "10.65.0.0/22")`,
      ]);
    });

    test("a mesh address given as an IP must lie in mesh.routing.cidrs", () => {
      expect(problemsOf(fleetWith(["payments.mesh.internal:8443", "192.168.1.10:8443"]))).toEqual([
        'inline.yaml:12:69: mesh.services.payments.address: is outside mesh.routing.cidrs (10.0.0.0/12); Farcars may connect only there: add its range to mesh.routing.cidrs (got "192.168.1.10:8443")',
      ]);
      expect(fleetFromYaml(fleetWith(["payments.mesh.internal:8443", "10.1.2.3:8443"])).mesh.services.payments.address).toBe("10.1.2.3:8443");
    });
  });

  describe("mesh.dns (issue 11 item 9)", () => {
    const withDns = (dns: string) => fleetWith(["  services:\n", `  dns: ${dns}\n  services:\n`]);

    test("resolves to the IDs to associate", () => {
      expect(fleetFromYaml(withDns("{ resolverRuleIds: [rslvr-rr-0a1b2c3d4e5f60718] }")).mesh.dns).toEqual({
        resolverRuleIds: ["rslvr-rr-0a1b2c3d4e5f60718"],
        hostedZoneIds: [],
      });
    });

    test.each<[string, string, string[]]>([
      ["an empty block", "{}", ["inline.yaml:11:8: mesh.dns: needs resolverRuleIds or hostedZoneIds (or remove it) (got {})"]],
      [
        "a zone listed twice",
        "{ hostedZoneIds: [Z0123456789MESH, Z0123456789MESH] }",
        ['inline.yaml:11:43: mesh.dns.hostedZoneIds[1]: listed twice; list each ID once (a VPC is associated once) (got "Z0123456789MESH")'],
      ],
      [
        "a malformed resolver rule ID",
        "{ resolverRuleIds: [rule-1] }",
        ['inline.yaml:11:28: mesh.dns.resolverRuleIds[0]: expected a Route 53 Resolver rule ID such as rslvr-rr-0123456789abcdef0 (got "rule-1")'],
      ],
    ])("rejects %s", (_name, dns, expected) => {
      expect(problemsOf(withDns(dns))).toEqual(expected);
    });
  });

  test("reports every problem at once, in file order", () => {
    const problems = problemsOf(
      fleetWith(["version: 1", "version: 3"], ["us-east-1b]", "us-east-2b]"], ["targets: [ledger]", "targets: [nope]"]),
    );
    expect(problems.map((p) => p.split(":").slice(1, 2)[0])).toEqual(["1", "20", "30"]);
  });
});

describe("services per environment (one private REST API each)", () => {
  const many = (n: number) =>
    BASE_FLEET +
    Array.from({ length: n }, (_, i) => `          extra-${i}:\n            roleArns: [arn:aws:iam::333333333333:role/extra-${i}]\n            targets: [ledger]\n`).join("");

  test("600 inbound services are accepted (the private-API ceiling); 601 fail at the inbound map, with the fix", () => {
    expect(fleetFromYaml(many(598)).environments[0].inbound).toHaveLength(600);
    expect(problemsOf(many(599))).toEqual([
      expect.stringMatching(
        new RegExp(`^inline\\.yaml:\\d+:\\d+: ${ENV.replace(/\./g, "\\.")}\\.inbound: has 601 services; an account allows 600 private REST APIs per region \\(not adjustable\\), one per service: move services to another environment`),
      ),
    ]);
  });
});
