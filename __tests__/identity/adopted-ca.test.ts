/**
 * Issue 11 item 8: what can be checked at synth about an adopted CA (shape, region, partition),
 * each refusal located in the fleet file.
 */
import { FleetError, formatProblem } from "../../config/errors";
import { fleetWith } from "../config/fleet-fixture";
import { fleetFromYaml } from "../support/synth";

const CA = (partition: string, region: string) => `arn:${partition}:acm-pca:${region}:222222222222:certificate-authority/11111111-2222-3333-4444-555555555555`;
const adopt = (arn: string) => fleetWith(["        network:", `        identity: { acquisitionCaArn: "${arn}" }\n        network:`]);

function problemsOf(text: string): string[] {
  try {
    fleetFromYaml(text);
  } catch (err) {
    if (err instanceof FleetError) return err.problems.map(formatProblem);
    throw err;
  }
  return [];
}

describe("adopted acquisition CA", () => {
  it("is accepted in the fleet's region and partition", () => {
    expect(problemsOf(adopt(CA("aws", "us-east-1")))).toEqual([]);
  });

  it("is refused in another region, saying why and what to do", () => {
    expect(problemsOf(adopt(CA("aws", "eu-west-1")))).toEqual([
      expect.stringMatching(
        /^inline\.yaml:\d+:\d+: acquisitions\.afterpay\.environments\.staging\.identity\.acquisitionCaArn: is in region eu-west-1; the environment's issuer calls Private CA in us-east-1: adopt a CA in us-east-1 .*\(got "arn:aws:acm-pca:eu-west-1:/,
      ),
    ]);
  });

  it("is refused in another partition, and when it is not a CA ARN", () => {
    expect(problemsOf(adopt(CA("aws-cn", "us-east-1")))).toEqual([expect.stringMatching(/acquisitionCaArn: is in partition aws-cn, but region us-east-1 is in aws/)]);
    expect(problemsOf(adopt("arn:aws:acm-pca:us-east-1:222222222222:certificate-authority/*"))).toEqual([expect.stringMatching(/acquisitionCaArn: expected an AWS Private CA ARN/)]);
  });
});
