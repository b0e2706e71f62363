/**
 * Generated fleets, the one generator for the benchmarks (bench/synth.ts), the opt-in scale test
 * (__tests__/scale/fleet-500.test.ts) and the sampled-verify test: `acquisitions` × `environments`
 * environments, each with `inbound` inbound and `outbound` outbound services (default: one
 * environment, 500 and 50 — the scale help/scaling.md designs for). Each inbound service calls two
 * mesh targets with its own role, the roles spread over a few caller accounts. Also a CLI:
 *
 *   npx tsx bench/fleet.ts [inbound] [outbound] [environments] > /tmp/big/fleet.yaml
 *
 * (copy examples/mesh/ca-bundle.pem to /tmp/big/mesh/ca-bundle.pem next to it, then
 * `FARCAR_CONFIG=/tmp/big/fleet.yaml npm run verify`).
 *
 * The first environment is always `bigco`/`production` with the same accounts, ranges and role
 * names, whatever the number of environments: fleets of different sizes differ only by what is
 * added.
 */

export interface GeneratedFleetOptions {
  /** Inbound services per environment. @default 500 */
  readonly inbound?: number;
  /** Outbound services per environment. @default 50 */
  readonly outbound?: number;
  /** Caller accounts the inbound services' roles are spread over. @default 5 */
  readonly callerAccounts?: number;
  /** Acquisitions: `bigco`, `bigco1`, `bigco2`, … @default 1 */
  readonly acquisitions?: number;
  /** Environments per acquisition: `production`, `production1`, … @default 1 */
  readonly environments?: number;
}

/**
 * Services one environment can hold per direction: one private API per service, and 600 private
 * APIs per account and region, not adjustable (help/scaling.md; the fleet check in config/).
 */
export const SERVICES_PER_ENVIRONMENT_TODAY = 600;

const MESH = ["payments", "ledger", "risk", "identity"];

/** `svc-0007`: stable names, in the order they are generated. */
export function generatedServiceName(prefix: string, i: number): string {
  return `${prefix}-${String(i).padStart(4, "0")}`;
}

/**
 * Disjoint proxy VPC ranges (a /18 each; the fleet check refuses overlapping proxy VPCs and the
 * mesh's 10.0.0.0/12): the first environment's is 10.64.0.0/18, the others count up from
 * 10.96.0.0/18 — room for 416 environments below the callers' 10.200.0.0/16.
 */
function proxyVpcCidr(n: number): string {
  if (n === 0) return "10.64.0.0/18";
  const k = n - 1;
  if (k >= 416) throw new Error(`generateFleetYaml: at most 417 environments (asked for ${n + 1})`);
  return `10.${96 + Math.floor(k / 4)}.${(k % 4) * 64}.0/18`;
}

/** Fleet YAML (resolved as if next to examples/mesh/ca-bundle.pem). */
export function generateFleetYaml(options: GeneratedFleetOptions = {}): string {
  const inbound = options.inbound ?? 500;
  const outbound = options.outbound ?? 50;
  const accounts = options.callerAccounts ?? 5;
  const acquisitions = options.acquisitions ?? 1;
  const environments = options.environments ?? 1;
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
  ];
  let n = 0; // environments so far, fleet-wide
  for (let a = 0; a < acquisitions; a++) {
    const acquisition = a === 0 ? "bigco" : `bigco${a}`;
    lines.push(`  ${acquisition}:`, "    environments:");
    for (let e = 0; e < environments; e++, n++) {
      const environment = e === 0 ? "production" : `production${e}`;
      // Role names are unique fleet-wide (one role serves one service): the first environment's
      // are the bare service names.
      const role = (name: string) => (n === 0 ? name : `${acquisition}-${environment}-${name}`);
      lines.push(
        `      ${environment}:`,
        `        proxyAccount: { id: "${n === 0 ? "222222222222" : String(220000000000 + n)}" }`,
        "        network:",
        "          availabilityZones: [us-east-1a, us-east-1b, us-east-1c]",
        `          proxyVpcCidr: ${proxyVpcCidr(n)}`,
        "          acquisitionVpcCidr: 10.65.0.0/22",
        "          acquisitionCallerCidrs: [10.200.0.0/16]",
        "          callerRouting: { transitGatewayId: tgw-0f1e2d3c4b5a69788 }",
        "        identity: { source: privateCa, certificateTtlHours: 24 }",
        `        egressProxyAccount: { id: "${n === 0 ? "444444444444" : String(440000000000 + n)}" }`,
        "        egressNetwork:",
        "          callerCidrs: [10.1.0.0/16]",
        "          callerRouting: { transitGatewayId: tgw-0a1b2c3d4e5f60718 }",
        "          upstreamRouting: { transitGatewayId: tgw-0f1e2d3c4b5a69788, cidrs: [10.200.0.0/16] }",
        "          upstreamDns: { hostedZoneIds: [Z0A1B2C3D4E5F6BIGCO] }",
        "        inbound:",
      );
      for (let i = 0; i < inbound; i++) {
        const name = generatedServiceName("svc", i);
        lines.push(
          `          ${name}:`,
          `            roleArns: [arn:aws:iam::${account(i)}:role/${role(name)}]`,
          `            targets: [${MESH[i % MESH.length]}, ${MESH[(i + 1) % MESH.length]}]`,
        );
      }
      if (outbound > 0) lines.push("        outbound:");
      for (let i = 0; i < outbound; i++) {
        const name = generatedServiceName("up", i);
        lines.push(
          `          ${name}:`,
          `            callerRoleArns: [arn:aws:iam::111111111111:role/${role(`caller-${name}`)}]`,
          "            upstream:",
          `              url: https://${name}.bigco.internal`,
          "              auth: { sigv4: { service: execute-api, region: us-east-1 } }",
        );
      }
    }
  }
  return `${lines.join("\n")}\n`;
}

/**
 * The layout for `environments × services` (inbound services per environment) that fits today's
 * per-environment quota: the same number of services, spread evenly over as many more
 * environments of one acquisition as needed.
 */
export function fittingLayout(environments: number, services: number): { environments: number; services: number; note?: string } {
  if (services <= SERVICES_PER_ENVIRONMENT_TODAY) return { environments, services };
  const total = environments * services;
  const envs = Math.ceil(total / SERVICES_PER_ENVIRONMENT_TODAY);
  if (total % envs !== 0) throw new Error(`fittingLayout: ${total} services do not spread evenly over ${envs} environments`);
  return {
    environments: envs,
    services: total / envs,
    note: `${environments}×${services} does not fit the private-API quota (≤ ${SERVICES_PER_ENVIRONMENT_TODAY} services per environment): measured as ${envs}×${total / envs}`,
  };
}

// The CLI, when this file is run itself (not when bundled into another entry point).
if (require.main === module && /[\\/]bench[\\/]fleet\.[cm]?[jt]s$/.test(process.argv[1] ?? "")) {
  const [inbound, outbound, environments] = process.argv.slice(2).map(Number);
  process.stdout.write(
    generateFleetYaml({
      inbound: inbound || undefined,
      outbound: Number.isNaN(outbound) ? undefined : outbound,
      environments: environments || undefined,
    }),
  );
}
