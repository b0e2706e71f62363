/**
 * Every AWS quota one direction (ingress or egress) of one environment runs into, with the figure
 * this fleet measures against it. The proxy stacks fail synth, naming the fix, when any figure is
 * over its limit; `npm run cost` prints the table (help/scaling.md explains the limits).
 *
 * Each direction has its own account (ingress: the parent-org proxy account; egress: the
 * acquisition-org one) and one region, so "per account and region" is "per direction" here.
 */
import type { FleetEnvironment } from "../config/fleet";
import { partitionOf, type StackKind } from "../config/names";
import { PROXY_INTERFACE_ENDPOINTS } from "../modules/network/proxy-vpc";
import { executeApiEndpointPolicy } from "../modules/network/acquisition-endpoint";
import { countLayout, LISTENERS_PER_NLB, sharedNlbLayout, type Layout } from "../modules/private-api/layout";
import { assignSlots, servicesPerNlb, type DirectionLock } from "../config/lock";
import { measureResourcePolicy, worstCaseExecutionArn, type ApiService } from "../modules/private-api/resource-policy";

const APIGW_REST_QUOTAS = "https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html";
const NLB_QUOTAS = "https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-limits.html";
const PRIVATELINK_QUOTAS = "https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-limits-endpoints.html";

/** One quota and what this direction uses of it (the largest use where the quota is per resource). */
export interface QuotaFigure {
  readonly quota: string;
  readonly measured: number;
  readonly limit: number;
  /** Whether AWS raises it on request (the checks hold the default either way). */
  readonly adjustable: boolean;
  readonly source: string;
  /** What to change when `measured` is over `limit`. */
  readonly fix: string;
}

export interface QuotaInput {
  /** Services of the direction, with the path segments (targets) each one routes to. */
  readonly services: ReadonlyArray<ApiService & { readonly targets?: readonly string[] }>;
  readonly layout: Layout;
  readonly partition: string;
  readonly region: string;
  readonly stage: string;
  /** Farcar tasks per service (the fleet's value; a deploy-time desired_count override is not seen here). */
  readonly desiredCount: number;
  readonly availabilityZones: number;
}

/**
 * The quota input of one direction of `env`, in the layout the stacks generate (one source for the
 * stacks' synth-time check and `npm run cost -- --quotas`): one API per service, NLBs shared as
 * `slots` (the lock file's) assigns them.
 * @param slots @default - slots assigned afresh in fleet-file order (what `npm run lock` would write with no lock)
 */
export function directionQuotaInput(env: FleetEnvironment, kind: StackKind, slots?: DirectionLock): QuotaInput {
  const services =
    kind === "ingress"
      ? env.inbound.map((s) => ({ name: s.name, roleArns: s.roleArns, methods: s.methods, targets: s.targets.map((t) => t.name) }))
      : env.outbound.map((s) => ({ name: s.name, roleArns: s.callerRoleArns, methods: s.methods }));
  return {
    services,
    layout: sharedNlbLayout(
      services.map((s) => s.name),
      new Map(
        Object.entries(
          (slots ?? assignSlots(undefined, services.map((s) => s.name), servicesPerNlb(env.farcar.desiredCount))).services,
        ).map(([name, slot]) => [name, slot.nlb]),
      ),
    ),
    partition: partitionOf(env.region),
    region: env.region,
    stage: env.environment,
    desiredCount: env.farcar.desiredCount,
    availabilityZones: (kind === "egress" && env.egress ? env.egress.network : env.network).availabilityZones.length,
  };
}

/** ECS replaces a service's tasks with deploymentMaximumPercent 200: its target group holds up to twice the desired count. */
const TARGETS_PER_TASK_DURING_DEPLOYMENT = 2;

export function measureQuotas(input: QuotaInput): QuotaFigure[] {
  const counts = countLayout(input.layout);
  const byName = new Map(input.services.map((s) => [s.name, s]));
  const apiServices = (members: readonly string[]) => members.map((m) => byName.get(m)!);
  const policyChars = Math.max(
    0,
    ...input.layout.apis.map(
      (members) => measureResourcePolicy({ partition: input.partition, region: input.region, stage: input.stage, services: apiServices(members) }).chars,
    ),
  );
  // Root + per service `/X` + per target `/X/Z` and `/X/Z/{proxy+}` (no targets: `/X/{proxy+}`).
  const resources = Math.max(
    0,
    ...input.layout.apis.map((members) => 1 + apiServices(members).reduce((n, s) => n + 1 + (s.targets?.length ? 2 * s.targets.length : 1), 0)),
  );
  const endpointPolicyChars = input.layout.apis.length
    ? JSON.stringify(executeApiEndpointPolicy(worstCaseExecutionArn(input.partition, input.region), input.services.flatMap((s) => s.roleArns.map((a) => a.split(":")[4])))).length
    : 0;
  const targetsPerNlb = Math.max(0, ...input.layout.nlbs.map((m) => m.length * input.desiredCount * TARGETS_PER_TASK_DURING_DEPLOYMENT));
  const split = "move services to another environment (its own proxy account)";
  return [
    {
      quota: "resource policy characters per REST API",
      measured: policyChars,
      limit: 8192,
      adjustable: true,
      source: APIGW_REST_QUOTAS,
      fix: `list fewer role ARNs or methods per service, or ${split}`,
    },
    { quota: "resources per REST API", measured: resources, limit: 300, adjustable: true, source: APIGW_REST_QUOTAS, fix: `list fewer targets per service, or ${split}` },
    { quota: "private REST APIs per account and region", measured: counts.apis, limit: 600, adjustable: false, source: APIGW_REST_QUOTAS, fix: split },
    { quota: "VPC links per account and region", measured: counts.vpcLinks, limit: 20, adjustable: true, source: APIGW_REST_QUOTAS, fix: split },
    { quota: "Network Load Balancers per region", measured: counts.nlbs, limit: 50, adjustable: true, source: NLB_QUOTAS, fix: split },
    { quota: "listeners per Network Load Balancer", measured: counts.maxListenersPerNlb, limit: LISTENERS_PER_NLB, adjustable: false, source: NLB_QUOTAS, fix: split },
    {
      quota: "targets per cross-zone Network Load Balancer (2 x desiredCount per service while ECS deploys)",
      measured: targetsPerNlb,
      limit: 500,
      adjustable: true,
      source: NLB_QUOTAS,
      fix: "lower farcar.desiredCount, or put fewer services on one NLB",
    },
    { quota: "target groups per region", measured: counts.services, limit: 3000, adjustable: true, source: NLB_QUOTAS, fix: split },
    { quota: "Network Load Balancer ENIs per VPC", measured: counts.nlbs * input.availabilityZones, limit: 1200, adjustable: true, source: NLB_QUOTAS, fix: split },
    {
      quota: "interface endpoints per VPC",
      measured: PROXY_INTERFACE_ENDPOINTS.length,
      limit: 50,
      adjustable: true,
      source: PRIVATELINK_QUOTAS,
      fix: "(fixed by Farcar: one endpoint per AWS service a Farcar calls)",
    },
    {
      quota: "characters per VPC endpoint policy (execute-api endpoint)",
      measured: endpointPolicyChars,
      limit: 20480,
      adjustable: false,
      source: PRIVATELINK_QUOTAS,
      fix: split,
    },
  ];
}

/** The figures over their limit. */
export function exceededQuotas(figures: readonly QuotaFigure[]): QuotaFigure[] {
  return figures.filter((f) => f.measured > f.limit);
}

/** The synth error for figures over their limit (undefined when every figure fits). */
export function quotaError(where: string, figures: readonly QuotaFigure[]): string | undefined {
  const over = exceededQuotas(figures);
  if (!over.length) return undefined;
  return (
    `${where} is over ${over.length} AWS quota${over.length === 1 ? "" : "s"}:\n` +
    over.map((f) => `  ${formatQuotaLine(f)} — ${f.source}. Fix: ${f.fix}.`).join("\n")
  );
}

/** `quota: measured of limit` lines, for messages and `npm run cost`. */
export function formatQuotaLine(f: QuotaFigure): string {
  return `${f.quota}: ${f.measured} of ${f.limit}${f.adjustable ? "" : " (not adjustable)"}`;
}
