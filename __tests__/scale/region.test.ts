/**
 * An environment in its own region: the acquisition lives where it lives (Afterpay in
 * ap-southeast-2, the parent in us-east-1). Everything region-bound follows the environment.
 */
import { fleetRegions } from "../../config/fleet";
import { costReport } from "../../scripts/cost";
import { readSynthesized, verifyIsolation } from "../../verify";
import { SYDNEY_FLEET } from "../config/fleet-variants";
import { fleetFromYaml, fleetProblems, synthFleet } from "../support/synth";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any


describe("an environment with its own region", () => {
  const fleet = fleetFromYaml(SYDNEY_FLEET);
  const s = synthFleet(fleet);
  const tf = s.json("afterpay-staging-ingress");
  const org = s.json("org");

  test("resolves to that region; the fleet keeps its own", () => {
    expect(fleet.region).toBe("us-east-1");
    expect(fleet.environments[0].region).toBe("ap-southeast-2");
    expect(fleetRegions(fleet)).toEqual(["ap-southeast-2", "us-east-1"]);
  });

  test("its stack's provider, VPC endpoints, subnets and log configuration are in that region", () => {
    expect(tf.provider.aws[0].region).toBe("ap-southeast-2");
    const endpoints = Object.values<Json>(tf.resource.aws_vpc_endpoint).map((e) => e.service_name);
    expect(endpoints.length).toBeGreaterThan(3);
    for (const name of endpoints) expect(name).toMatch(/^com\.amazonaws\.ap-southeast-2\./);
    for (const subnet of Object.values<Json>(tf.resource.aws_subnet)) expect(subnet.availability_zone).toMatch(/^ap-southeast-2[ab]$/);
    for (const task of Object.values<Json>(tf.resource.aws_ecs_task_definition)) {
      for (const c of JSON.parse(task.container_definitions)) expect(c.logConfiguration.options["awslogs-region"]).toBe("ap-southeast-2");
    }
    expect(JSON.stringify(tf.output)).not.toContain("us-east-1");
  });

  test("the org stack stays in the fleet region and its SCP allows every region the fleet uses", () => {
    expect(org.provider.aws[0].region).toBe("us-east-1");
    const policy = JSON.parse(org.resource.aws_organizations_policy["proxy-guardrails"].content);
    const sid = policy.Statement.find((st: Json) => st.Sid === "DenyRegionsOutsideFleet");
    expect(sid.Condition.StringNotEquals["aws:RequestedRegion"]).toEqual(["ap-southeast-2", "us-east-1"]);
  });

  test("npm run cost prices it in its own region", () => {
    const report = costReport(fleet);
    expect(report.stacks[0].region).toBe("ap-southeast-2");
  });

  // Planned for real (every VPC endpoint a service of ap-southeast-2): terraform/variants.test.ts.

  test("npm run verify proves its isolation with ARNs of its region", async () => {
    const report = await verifyIsolation(fleet, readSynthesized(s.outdir), { stacks: ["afterpay-staging-ingress"] });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    const arns = report.stacks[0].substitutions.map((x) => x.value).filter((v) => v.startsWith("arn:"));
    expect(arns.some((a) => a.startsWith("arn:aws:execute-api:ap-southeast-2:"))).toBe(true);
    expect(arns.filter((a) => /:us-east-1:/.test(a))).toEqual([]);
  }, 120_000);

  test("fails when an availability zone is not in the environment's region", () => {
    const text = SYDNEY_FLEET.replace("ap-southeast-2b]", "us-east-1b]");
    expect(fleetProblems(text)).toEqual([
      expect.stringMatching(/^inline\.yaml:\d+:\d+: acquisitions\.afterpay\.environments\.staging\.network\.availabilityZones\[1\]: is not an availability zone of this environment's region ap-southeast-2 \(e\.g\. ap-southeast-2a\) \(got "us-east-1b"\)$/),
    ]);
  });

  test("fails when the environment's region is in another partition", () => {
    const text = SYDNEY_FLEET.replace("region: ap-southeast-2", "region: cn-north-1").replace(/ap-southeast-2([ab])/g, "cn-north-1$1");
    expect(fleetProblems(text)).toEqual([expect.stringMatching(/staging\.region: is in the aws-cn partition but the fleet region us-east-1 is in aws; .* \(got "cn-north-1"\)$/)]);
  });

  test("fails when mesh.routing names a transit gateway of another region", () => {
    const text = SYDNEY_FLEET.replace("routing: { cidrs: [10.0.0.0/12] }", "routing: { transitGatewayId: tgw-0123456789abcdef0, cidrs: [10.0.0.0/12] }");
    expect(fleetProblems(text)).toEqual([expect.stringMatching(/staging\.region: mesh\.routing\.transitGatewayId names a transit gateway of the fleet region us-east-1; .*Fix: /)]);
  });

  test("rejects a malformed region with the field's path", () => {
    expect(fleetProblems(SYDNEY_FLEET.replace("region: ap-southeast-2", "region: sydney"))).toEqual(
      expect.arrayContaining([expect.stringMatching(/staging\.region: expected an AWS region such as ap-southeast-2 \(got "sydney"\)$/)]),
    );
  });
});
