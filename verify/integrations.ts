/**
 * The network half of the isolation proof: every API Gateway integration of a proxy stack reaches
 * its own service's Farcar and nothing else. Traced over the synthesized Terraform, hop by hop:
 *
 *   integration of /X/…  ─connection_id─►  VPC link  ─target_arns─►  NLB N
 *        └─ uri http://{N's DNS name}:{port}/…   (the URI's host must be that same NLB)
 *   listener on N at {port}  ─forward─►  one target group T
 *   T  ◄─registers─  exactly one ECS service, the Farcar of X; no other registration into T
 *
 * A caller supplies only the `{proxy}` path of the URI, never its host or port, so this trace is
 * the whole of where a request for /X/… can go. It holds for one NLB per service and for NLBs
 * shared by several services (one listener per service): the port is what then tells services
 * apart (help/scaling.md).
 */
import type { FleetEnvironment } from "../config/fleet";
import { farcarName, type StackKind } from "../config/names";
import { parseResourceReference, type TerraformJson } from "./terraform-refs";

type Resources = Record<string, TerraformJson>;

export interface IntegrationTrace {
  readonly service: string;
  /** API path of the integration's resource, e.g. `checkout/payments/{proxy+}`. */
  readonly path: string;
  readonly nlb: string;
  readonly port: number;
  readonly targetGroup: string;
  readonly ecsService: string;
}

export interface IntegrationReport {
  readonly traces: readonly IntegrationTrace[];
  readonly problems: readonly string[];
}

/** Trace every integration of `tf` (a `<acquisition>-<environment>-<kind>` stack) to the ECS service it reaches. */
export function traceIntegrations(stack: string, kind: StackKind, env: FleetEnvironment, tf: TerraformJson): IntegrationReport {
  const r = (type: string): Resources => (tf.resource?.[type] ?? {}) as Resources;
  const resources = r("aws_api_gateway_resource");
  const links = r("aws_api_gateway_vpc_link");
  const listeners = r("aws_lb_listener");
  const ecsServices = r("aws_ecs_service");
  const problems: string[] = [];
  const traces: IntegrationTrace[] = [];
  const fail = (what: string, message: string) => problems.push(`${stack}: ${what}: ${message}`);

  const expected = new Map((kind === "ingress" ? env.inbound : env.outbound).map((s) => [farcarName(kind, env.acquisition, env.environment, s.name), s.name]));
  const ecsByName = new Map(Object.entries(ecsServices).map(([id, s]) => [String(s.name), id]));

  /** Path parts from the API root down to resource `id` (undefined when the chain is broken). */
  const pathOf = (id: string): string[] | undefined => {
    const parts: string[] = [];
    let ref = id;
    for (let depth = 0; depth < 64; depth++) {
      const res = resources[ref];
      if (!res) return undefined;
      parts.unshift(String(res.path_part));
      const parent = parseResourceReference(res.parent_id);
      if (parent?.type === "aws_api_gateway_rest_api" && parent.attr === "root_resource_id") return parts;
      if (parent?.type !== "aws_api_gateway_resource") return undefined;
      ref = parent.id;
    }
    return undefined;
  };

  for (const [id, integration] of Object.entries(r("aws_api_gateway_integration"))) {
    const what = `aws_api_gateway_integration.${id}`;
    const resRef = parseResourceReference(integration.resource_id);
    const parts = resRef?.type === "aws_api_gateway_resource" ? pathOf(resRef.id) : undefined;
    if (!parts) {
      fail(what, "its resource does not lead to the API root through aws_api_gateway_resource parents; cannot tell whose route it is");
      continue;
    }
    const service = parts[0];
    const path = parts.join("/");
    if (integration.connection_type !== "VPC_LINK") {
      fail(what, `/${path} is integrated with connection_type ${String(integration.connection_type)}, not VPC_LINK: it does not go to a Farcar`);
      continue;
    }
    const linkRef = parseResourceReference(integration.connection_id);
    const link = linkRef?.type === "aws_api_gateway_vpc_link" ? links[linkRef.id] : undefined;
    const targets: unknown[] = link?.target_arns ?? [];
    const linkNlb = targets.length === 1 ? parseResourceReference(targets[0]) : undefined;
    if (!link || linkNlb?.type !== "aws_lb") {
      fail(what, `/${path}: connection_id must reference a VPC link of this stack targeting exactly one aws_lb (got ${JSON.stringify(integration.connection_id)})`);
      continue;
    }
    const uri = /^http:\/\/\$\{aws_lb\.([\w-]+)\.dns_name\}:(\d+)(\/.*)?$/.exec(String(integration.uri));
    if (!uri) {
      fail(what, `/${path}: uri ${JSON.stringify(integration.uri)} does not name an NLB of this stack by its DNS name and a port`);
      continue;
    }
    const [, uriNlb, portText] = uri;
    const port = Number(portText);
    if (uriNlb !== linkNlb.id) {
      fail(what, `/${path}: its URI names aws_lb.${uriNlb} but its VPC link reaches aws_lb.${linkNlb.id}`);
      continue;
    }
    const onPort = Object.entries(listeners).filter(
      ([, l]) => parseResourceReference(l.load_balancer_arn)?.id === uriNlb && Number(l.port) === port,
    );
    if (onPort.length !== 1) {
      fail(what, `/${path}: aws_lb.${uriNlb} has ${onPort.length} listeners on port ${port}; expected exactly one`);
      continue;
    }
    const [listenerId, listener] = onPort[0];
    const actions: TerraformJson[] = listener.default_action ?? [];
    const tgRef = actions.length === 1 && actions[0].type === "forward" && !actions[0].forward ? parseResourceReference(actions[0].target_group_arn) : undefined;
    if (tgRef?.type !== "aws_lb_target_group") {
      fail(`aws_lb_listener.${listenerId}`, "must forward to exactly one target group (one default action, type forward, target_group_arn)");
      continue;
    }
    const registered = Object.entries(ecsServices).filter(([, s]) =>
      ((s.load_balancer ?? []) as TerraformJson[]).some((lb) => parseResourceReference(lb.target_group_arn)?.id === tgRef.id),
    );
    const attachments = Object.entries(r("aws_lb_target_group_attachment")).filter(([, a]) => parseResourceReference(a.target_group_arn)?.id === tgRef.id);
    if (attachments.length) fail(`aws_lb_target_group.${tgRef.id}`, `has target group attachments (${attachments.map(([a]) => a).join(", ")}): only X's ECS service may register`);
    if (registered.length !== 1) {
      fail(`aws_lb_target_group.${tgRef.id}`, `${registered.length} ECS services register into it; expected exactly one, the Farcar of ${service}`);
      continue;
    }
    const [ecsId, ecs] = registered[0];
    const owner = expected.get(String(ecs.name));
    if (owner !== service) {
      fail(what, `/${path} reaches aws_ecs_service.${ecsId} (${String(ecs.name)}), the Farcar of ${owner ?? "no service of the fleet file"}, not of ${service}`);
      continue;
    }
    traces.push({ service, path, nlb: uriNlb, port, targetGroup: tgRef.id, ecsService: ecsId });
  }

  for (const [name, service] of expected) {
    if (!ecsByName.has(name)) fail(service, `no ECS service named ${name}`);
    else if (!traces.some((t) => t.service === service)) fail(service, "no integration reaches its Farcar");
  }
  return { traces, problems };
}
