/**
 * A generated fleet at the scale help/scaling.md designs for: one acquisition-environment with
 * `inbound` inbound and `outbound` outbound services (default 500 and 50), each with its own role,
 * spread over a few caller accounts. Used by __tests__/scale/fleet-500.test.ts; also a CLI:
 *
 *   npx tsx bench/fleet.ts [inbound] [outbound] > /tmp/big/fleet.yaml
 *
 * (copy examples/mesh/ca-bundle.pem to /tmp/big/mesh/ca-bundle.pem next to it, then
 * `FARCAR_CONFIG=/tmp/big/fleet.yaml npm run verify`).
 */

export interface GeneratedFleetOptions {
  /** @default 500 */
  readonly inbound?: number;
  /** @default 50 */
  readonly outbound?: number;
  /** Caller accounts the services' roles are spread over. @default 5 */
  readonly callerAccounts?: number;
}

const MESH = ["payments", "ledger", "risk", "identity"];

/** `svc-0007`: stable names, in the order they are generated. */
export function generatedServiceName(prefix: string, i: number): string {
  return `${prefix}-${String(i).padStart(4, "0")}`;
}

/** Fleet YAML (resolved as if next to examples/mesh/ca-bundle.pem). */
export function generateFleetYaml(options: GeneratedFleetOptions = {}): string {
  const inbound = options.inbound ?? 500;
  const outbound = options.outbound ?? 50;
  const accounts = options.callerAccounts ?? 5;
  const account = (i: number) => String(300000000000 + (i % accounts) * 1111);
  const lines = [
    "version: 1",
    "region: us-east-1",
    "tags: { cost-center: platform }",
    "organization:",
    '  managementAccountId: "111111111111"',
    "  proxyOrganizationalUnitId: ou-ab12-proxies01",
    "mesh:",
    "  trustDomain: block.example",
    "  trustBundle: mesh/ca-bundle.pem",
    "  routing: { transitGatewayId: tgw-0a1b2c3d4e5f60718, cidrs: [10.0.0.0/12] }",
    "  dns: { resolverRuleIds: [rslvr-rr-0a1b2c3d4e5f60718] }",
    "  services:",
    ...MESH.map((m) => `    ${m}: { spiffeId: spiffe://block.example/${m}, address: ${m}.mesh.internal:8443 }`),
    "farcar: { desiredCount: 2 }",
    "acquisitions:",
    "  bigco:",
    "    environments:",
    "      production:",
    '        proxyAccount: { id: "222222222222" }',
    "        network:",
    "          availabilityZones: [us-east-1a, us-east-1b, us-east-1c]",
    "          proxyVpcCidr: 10.64.0.0/18",
    "          acquisitionVpcCidr: 10.65.0.0/22",
    "          acquisitionCallerCidrs: [10.200.0.0/16]",
    "          callerRouting: { transitGatewayId: tgw-0f1e2d3c4b5a69788 }",
    "        identity: { source: privateCa, certificateTtlHours: 24 }",
    '        egressProxyAccount: { id: "444444444444" }',
    "        egressNetwork:",
    "          callerCidrs: [10.1.0.0/16]",
    "          callerRouting: { transitGatewayId: tgw-0a1b2c3d4e5f60718 }",
    "          upstreamRouting: { transitGatewayId: tgw-0f1e2d3c4b5a69788, cidrs: [10.200.0.0/16] }",
    "          upstreamDns: { hostedZoneIds: [Z0A1B2C3D4E5F6BIGCO] }",
    "        inbound:",
  ];
  for (let i = 0; i < inbound; i++) {
    const name = generatedServiceName("svc", i);
    lines.push(`          ${name}:`, `            roleArns: [arn:aws:iam::${account(i)}:role/${name}]`, `            targets: [${MESH[i % MESH.length]}, ${MESH[(i + 1) % MESH.length]}]`);
  }
  if (outbound > 0) lines.push("        outbound:");
  for (let i = 0; i < outbound; i++) {
    const name = generatedServiceName("up", i);
    lines.push(
      `          ${name}:`,
      `            callerRoleArns: [arn:aws:iam::111111111111:role/caller-${name}]`,
      "            upstream:",
      `              url: https://${name}.bigco.internal`,
      "              auth: { sigv4: { service: execute-api, region: us-east-1 } }",
    );
  }
  return `${lines.join("\n")}\n`;
}

if (require.main === module) {
  const [inbound, outbound] = process.argv.slice(2).map(Number);
  process.stdout.write(generateFleetYaml({ inbound: inbound || undefined, outbound: Number.isNaN(outbound) ? undefined : outbound }));
}
