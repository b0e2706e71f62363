/** Generated fleets for the benchmarks (bench/synth.ts). */

/**
 * Services one environment can hold per direction: one private API per service, and 600 private
 * APIs per account and region, not adjustable (help/scaling.md; the fleet check in config/).
 */
export const SERVICES_PER_ENVIRONMENT_TODAY = 600;

/** A fleet of `acquisitions` × `environments`, each with `services` inbound services of 3 targets and two methods. */
export function generatedFleet(acquisitions: number, environments: number, services: number): string {
  const lines = [
    "version: 1",
    "region: us-east-1",
    'organization: { managementAccountId: "111111111111", proxyOrganizationalUnitId: ou-ab12-proxies01 }',
    "mesh:",
    "  trustDomain: block.example",
    "  trustBundle: mesh/ca-bundle.pem",
    "  routing: { transitGatewayId: tgw-0a1b2c3d4e5f60718, cidrs: [10.0.0.0/12] }",
    "  dns: { resolverRuleIds: [rslvr-rr-0a1b2c3d4e5f60718] }",
    "  services:",
    ...["payments", "ledger", "risk", "identity"].map((m) => `    ${m}: { spiffeId: spiffe://block.example/${m}, address: ${m}.mesh.internal:8443 }`),
    "acquisitions:",
  ];
  let account = 200000000000;
  let net = 0;
  for (let a = 0; a < acquisitions; a++) {
    lines.push(`  acq${a}:`, "    environments:");
    for (let e = 0; e < environments; e++) {
      // Distinct /20 proxy and /22 acquisition ranges for up to 4,096 environments.
      const n = net++;
      const second = 64 + Math.floor(n / 16);
      const third = (n % 16) * 16;
      lines.push(
        `      env${e}:`,
        `        proxyAccount: { id: "${account++}" }`,
        "        identity: { source: secretsManager }",
        `        network: { availabilityZones: [us-east-1a, us-east-1b], proxyVpcCidr: 10.${second}.${third}.0/20, acquisitionVpcCidr: 100.${second}.${third}.0/22, acquisitionCallerCidrs: [172.16.0.0/12] }`,
        "        inbound:",
      );
      for (let s = 0; s < services; s++) {
        // Two methods per service (each service has its own API and resource policy).
        lines.push(
          `          svc${s}: { roleArns: [arn:aws:iam::333333333333:role/a${a}-e${e}-s${s}], targets: [payments, ledger, risk], methods: [GET, POST] }`,
        );
      }
    }
  }
  return `${lines.join("\n")}\n`;
}

/**
 * The layout for `environments × services` that fits today's per-environment quota: the same
 * number of services, spread over more environments of one acquisition when needed.
 */
export function fittingLayout(environments: number, services: number): { acquisitions: number; environments: number; services: number; note?: string } {
  if (services <= SERVICES_PER_ENVIRONMENT_TODAY) return { acquisitions: 1, environments, services };
  const envs = Math.ceil((environments * services) / SERVICES_PER_ENVIRONMENT_TODAY);
  return {
    acquisitions: 1,
    environments: envs,
    services: SERVICES_PER_ENVIRONMENT_TODAY,
    note: `${environments}×${services} does not fit the private-API quota (≤ ${SERVICES_PER_ENVIRONMENT_TODAY} services per environment): measured as ${envs}×${SERVICES_PER_ENVIRONMENT_TODAY}`,
  };
}
