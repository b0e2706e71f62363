/** A small valid fleet, as YAML text, that tests break one field at a time. */
export const BASE_FLEET = `version: 1
region: us-east-1
tags: { cost-center: platform }
organization:
  managementAccountId: "111111111111"
  proxyOrganizationalUnitId: ou-ab12-proxies01
mesh:
  trustDomain: block.example
  trustBundle: mesh/ca-bundle.pem
  routing: { transitGatewayId: tgw-0a1b2c3d4e5f60718, cidrs: [10.0.0.0/12] }
  services:
    payments: { spiffeId: spiffe://block.example/payments, address: payments.mesh.internal:8443 }
    ledger: { spiffeId: spiffe://block.example/ledger, address: ledger.mesh.internal:8443 }
acquisitions:
  afterpay:
    environments:
      staging:
        proxyAccount: { email: aws+afterpay-staging@block.example }
        network:
          availabilityZones: [us-east-1a, us-east-1b]
          proxyVpcCidr: 10.64.0.0/20
          acquisitionVpcCidr: 10.65.0.0/22
          acquisitionCallerCidrs: [10.200.0.0/16]
        inbound:
          checkout:
            roleArns: [arn:aws:iam::333333333333:role/checkout-staging]
            targets: [payments, ledger]
          disputes:
            roleArns: [arn:aws:iam::333333333333:role/disputes-staging]
            targets: [ledger]
`;

/** BASE_FLEET with `from` replaced by `to` (the replacement must happen). */
export function fleetWith(...edits: [from: string | RegExp, to: string][]): string {
  let text = BASE_FLEET;
  for (const [from, to] of edits) {
    const next = text.replace(from, to);
    if (next === text) throw new Error(`fixture edit did not apply: ${from}`);
    text = next;
  }
  return text;
}
