/**
 * The network half of the isolation proof (verify/integrations.ts): every integration of /X/…
 * reaches X's listener, X's target group and X's Farcar only — also when NLBs are shared.
 */
import { traceIntegrations } from "../../verify/integrations";
import { BASE_FLEET } from "../config/fleet-fixture";
import { fleetFromYaml, synthFleet } from "../support/synth";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const fleet = fleetFromYaml(BASE_FLEET);
const env = fleet.environments[0];
const STACK = "afterpay-staging-ingress";
const original = synthFleet(fleet).json(STACK);
const copy = (): Json => JSON.parse(JSON.stringify(original));
const trace = (tf: Json) => traceIntegrations(STACK, "ingress", env, tf);
/** Terraform ID of the one resource of `type` whose ID contains `part`. */
const idOf = (tf: Json, type: string, part: string): string => {
  const ids = Object.keys(tf.resource[type]).filter((id) => id.includes(part));
  expect(ids).toHaveLength(1);
  return ids[0];
};
/** Integrations of service `name` (its routes start with `/name`). */
const integrationsOf = (tf: Json, name: string): Json[] =>
  Object.entries<Json>(tf.resource.aws_api_gateway_integration)
    .filter(([id]) => id.includes(`m-${name}-`))
    .map(([, i]) => i);

describe("traceIntegrations", () => {
  test("traces every integration of the generated stack to its own service's Farcar", () => {
    const report = trace(original);
    expect(report.problems).toEqual([]);
    // checkout: 2 targets, disputes: 1; two routes (/X/Z and /X/Z/{proxy+}) each.
    expect(report.traces).toHaveLength(6);
    for (const t of report.traces) expect(t.path.split("/")[0]).toBe(t.service);
    const bySvc = (s: string) => new Set(report.traces.filter((t) => t.service === s).map((t) => `${t.nlb}:${t.port}:${t.targetGroup}:${t.ecsService}`));
    expect(bySvc("checkout").size).toBe(1);
    expect(bySvc("disputes").size).toBe(1);
    expect([...bySvc("checkout")][0]).not.toBe([...bySvc("disputes")][0]);
  });

  test("tells services apart by listener port on their shared NLB", () => {
    // GIVEN the generated layout: checkout and disputes on one shared NLB, each on its own port
    const report = trace(original);
    const nlb = idOf(original, "aws_lb", "nlb-0_");
    expect(new Set(report.traces.map((t) => t.nlb))).toEqual(new Set([nlb]));
    const portOf = (s: string) => new Set(report.traces.filter((t) => t.service === s).map((t) => t.port));
    expect(portOf("checkout")).toEqual(new Set([10000]));
    expect(portOf("disputes")).toEqual(new Set([10001]));
    // THEN a disputes integration pointed at checkout's port on that NLB is caught
    const tf = copy();
    integrationsOf(tf, "disputes")[0].uri = `http://\${aws_lb.${nlb}.dns_name}:10000/`;
    expect(trace(tf).problems).toEqual([expect.stringMatching(/the Farcar of checkout, not of disputes$/)]);
  });

  test("fails when an integration's URI names another NLB than its VPC link reaches", () => {
    const tf = copy();
    // A second NLB (the layout of a direction with more services than one NLB takes).
    const otherNlb = "nlb-1_nlb_0000";
    tf.resource.aws_lb[otherNlb] = { ...tf.resource.aws_lb[idOf(tf, "aws_lb", "nlb-0_")], name: "other" };
    integrationsOf(tf, "checkout")[0].uri = `http://\${aws_lb.${otherNlb}.dns_name}:10000/`;
    expect(trace(tf).problems).toEqual([expect.stringMatching(new RegExp(`its URI names aws_lb\\.${otherNlb} but its VPC link reaches aws_lb\\.`))]);
  });

  test("fails when an integration of /checkout reaches the Farcar of disputes (its port on the shared NLB)", () => {
    const tf = copy();
    const nlb = idOf(tf, "aws_lb", "nlb-0_");
    const [integration] = integrationsOf(tf, "checkout");
    integration.uri = `http://\${aws_lb.${nlb}.dns_name}:10001/`;
    expect(trace(tf).problems).toEqual([expect.stringMatching(/\/checkout\/\S+ reaches aws_ecs_service\.\S+ \(farcar-afterpay-staging-in-disputes\), the Farcar of disputes, not of checkout$/)]);
  });

  test("fails when a listener forwards to another service's target group", () => {
    const tf = copy();
    const listener = tf.resource.aws_lb_listener[idOf(tf, "aws_lb_listener", "farcar-checkout")];
    listener.default_action[0].target_group_arn = `\${aws_lb_target_group.${idOf(tf, "aws_lb_target_group", "farcar-disputes")}.arn}`;
    const problems = trace(tf).problems;
    // Each of checkout's 4 integrations is reported, and checkout's own Farcar is left unreachable.
    expect(problems.filter((p) => /the Farcar of disputes, not of checkout$/.test(p))).toHaveLength(4);
    expect(problems).toContainEqual(expect.stringMatching(/: checkout: no integration reaches its Farcar$/));
    expect(problems).toHaveLength(5);
  });

  test("fails when a second ECS service, or an attachment, registers into a service's target group", () => {
    const tf = copy();
    const tg = idOf(tf, "aws_lb_target_group", "farcar-checkout");
    const disputes = tf.resource.aws_ecs_service[idOf(tf, "aws_ecs_service", "farcar-disputes")];
    disputes.load_balancer.push({ target_group_arn: `\${aws_lb_target_group.${tg}.arn}`, container_name: "envoy", container_port: 8080 });
    tf.resource.aws_lb_target_group_attachment = { rogue: { target_group_arn: `\${aws_lb_target_group.${tg}.arn}`, target_id: "10.0.0.1" } };
    const problems = trace(tf).problems;
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/2 ECS services register into it/), expect.stringMatching(/has target group attachments \(rogue\)/)]));
  });

  test("fails when a service has no ECS service or no integration reaches its Farcar", () => {
    const tf = copy();
    delete tf.resource.aws_ecs_service[idOf(tf, "aws_ecs_service", "farcar-disputes")];
    expect(trace(tf).problems).toEqual(expect.arrayContaining([expect.stringMatching(/: disputes: no ECS service named farcar-afterpay-staging-in-disputes$/)]));
  });

});
