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

  test("fails when an integration's URI names another NLB than its VPC link reaches", () => {
    const tf = copy();
    const otherNlb = idOf(tf, "aws_lb", "farcar-disputes");
    integrationsOf(tf, "checkout")[0].uri = `http://\${aws_lb.${otherNlb}.dns_name}:8080/`;
    expect(trace(tf).problems).toEqual([expect.stringMatching(new RegExp(`its URI names aws_lb\\.${otherNlb} but its VPC link reaches aws_lb\\.`))]);
  });

  test("fails when an integration of /checkout reaches the Farcar of disputes (link and URI both moved)", () => {
    const tf = copy();
    const link = idOf(tf, "aws_api_gateway_vpc_link", "farcar-disputes");
    const nlb = idOf(tf, "aws_lb", "farcar-disputes");
    const [integration] = integrationsOf(tf, "checkout");
    integration.connection_id = `\${aws_api_gateway_vpc_link.${link}.id}`;
    integration.uri = `http://\${aws_lb.${nlb}.dns_name}:8080/`;
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

  test("tells services apart by listener port on a shared NLB", () => {
    // GIVEN disputes moved onto checkout's NLB, on its own listener port (the shared-NLB layout)
    const tf = copy();
    const nlb = idOf(tf, "aws_lb", "farcar-checkout");
    const link = idOf(tf, "aws_api_gateway_vpc_link", "farcar-checkout");
    const listener = tf.resource.aws_lb_listener[idOf(tf, "aws_lb_listener", "farcar-disputes")];
    listener.load_balancer_arn = `\${aws_lb.${nlb}.arn}`;
    listener.port = 10001;
    for (const i of integrationsOf(tf, "disputes")) {
      i.connection_id = `\${aws_api_gateway_vpc_link.${link}.id}`;
      i.uri = String(i.uri).replace(/^http:\/\/\$\{aws_lb\.[\w-]+\.dns_name\}:8080/, `http://\${aws_lb.${nlb}.dns_name}:10001`);
    }
    // THEN every integration still reaches its own Farcar, distinguished by the port
    const report = trace(tf);
    expect(report.problems).toEqual([]);
    expect(new Set(report.traces.map((t) => t.nlb))).toEqual(new Set([nlb]));
    expect(new Set(report.traces.filter((t) => t.service === "disputes").map((t) => t.port))).toEqual(new Set([10001]));
    // AND a disputes integration pointed at checkout's port on that NLB is caught
    integrationsOf(tf, "disputes")[0].uri = `http://\${aws_lb.${nlb}.dns_name}:8080/`;
    expect(trace(tf).problems).toEqual([expect.stringMatching(/the Farcar of checkout, not of disputes$/)]);
  });
});
