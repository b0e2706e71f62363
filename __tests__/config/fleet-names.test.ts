/**
 * Names that would make two environments, or another role and the SVID issuer, indistinguishable:
 * refused at fleet load with a located error, nothing synthesized.
 */
import { farcarName, ISSUER_ROLE_PREFIX, issuerRoleName, stackName } from "../../config/names";
import { fleetFromYaml, fleetProblems } from "../support/synth";
import { BASE_FLEET, fleetWith } from "./fleet-fixture";

const problemsOf = fleetProblems;

/** A complete environment named `name` (n keeps its account, CIDRs and role apart from the others). */
const environment = (name: string, n: number) => `      ${name}:
        proxyAccount: { email: aws+env${n}@block.example }
        network:
          availabilityZones: [us-east-1a, us-east-1b]
          proxyVpcCidr: 10.${64 + 4 * n}.0.0/20
          acquisitionVpcCidr: 10.${66 + 4 * n}.0.0/22
          acquisitionCallerCidrs: [10.200.0.0/16]
        inbound:
          checkout:
            roleArns: [arn:aws:iam::333333333333:role/checkout-env${n}]
            targets: [payments]
`;

describe("fleet names", () => {
  test("GIVEN a/b-c next to a-b/c THEN both would be a-b-c-…: refused, naming both environments and the fix", () => {
    expect(stackName("afterpay", "x-y", "ingress")).toBe(stackName("afterpay-x", "y", "ingress"));
    const text = fleetWith(["  afterpay:\n    environments:\n", `  afterpay:\n    environments:\n${environment("x-y", 1)}`]) +
      `  afterpay-x:\n    environments:\n${environment("y", 2)}`;
    expect(problemsOf(text)).toEqual([
      "inline.yaml:44:7: acquisitions.afterpay-x.environments.y: gives the same stack names (afterpay-x-y-ingress, …) and resource names (farcar-afterpay-x-y-…) " +
        'as afterpay/x-y (inline.yaml:17:7); rename one acquisition or environment so that "<acquisition>-<environment>" differs (got "afterpay-x/y")',
    ]);
  });

  test("distinct joined names stay valid (a-b/c next to a/b)", () => {
    const text = BASE_FLEET + `  afterpay-x:\n    environments:\n${environment("y", 2)}`;
    expect(fleetFromYaml(text).environments.map((e) => e.key)).toEqual(["afterpay-staging", "afterpay-x-y"]);
  });

  test("an acquisition named issuer is refused: its roles would look like an SVID issuer's", () => {
    // why: a task role of acquisition "issuer" would match the issuers' pattern
    expect(`${farcarName("ingress", "issuer", "staging", "checkout")}-task`.startsWith(`${ISSUER_ROLE_PREFIX}-`)).toBe(true);
    expect(issuerRoleName("afterpay", "staging")).toBe("farcar-issuer-afterpay-staging");
    expect(problemsOf(fleetWith(["  afterpay:\n", "  issuer:\n"]))).toEqual([
      "inline.yaml:15:3: acquisitions.issuer: is reserved: every Farcar role is named farcar-<acquisition>-…, and only the SVID issuers' roles (farcar-issuer-*) " +
        'may issue certificates (the guardrail SCP); rename the acquisition (got "issuer")',
    ]);
  });
});
