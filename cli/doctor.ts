/**
 * `farcar doctor`: read-only checks of a deployed environment, each finding with its fix. What to
 * look for comes from the synthesized stacks (the same JSON `cdktf deploy` applies): cluster,
 * service, target-group and API names, ECR repositories, the execute-api endpoint (found by the
 * `farcar:stack` default tag every resource carries), the SCP and the OU it must be attached to.
 * Only Describe/List/Get calls are made.
 *
 * AWS behaviour relied on:
 * - Private CA status values and NotAfter: DescribeCertificateAuthority / ListCertificateAuthorities
 *   (https://docs.aws.amazon.com/privateca/latest/APIReference/API_CertificateAuthority.html);
 *   PENDING_CERTIFICATE means the CA certificate has not been imported yet.
 * - ECS `runningCount`/`desiredCount` and task `healthStatus` (container health checks):
 *   https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Service.html, API_Task.html.
 * - Target health states and reason codes: https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html
 * - A private REST API is invoked through an endpoint listed in its endpointConfiguration.vpcEndpointIds
 *   (https://docs.aws.amazon.com/apigateway/latest/developerguide/associate-private-api-with-vpc-endpoint.html).
 */
import { ACMPCAClient, DescribeCertificateAuthorityCommand, ListCertificateAuthoritiesCommand, ListTagsCommand } from "@aws-sdk/client-acm-pca";
import { APIGatewayClient, GetRestApisCommand } from "@aws-sdk/client-api-gateway";
import { DescribeVpcEndpointsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { DescribeImagesCommand, ECRClient } from "@aws-sdk/client-ecr";
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, DescribeTasksCommand, ECSClient, ListTasksCommand } from "@aws-sdk/client-ecs";
import { DescribeTargetGroupsCommand, DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { ListPoliciesForTargetCommand, OrganizationsClient } from "@aws-sdk/client-organizations";
import type { Fleet, FleetEnvironment } from "../config/fleet";
import type { TerraformJson } from "../verify";

export type Status = "ok" | "warn" | "fail";

export interface Finding {
  readonly check: "ca" | "images" | "tasks" | "targets" | "endpoint" | "scp";
  readonly status: Status;
  readonly message: string;
  /** What to do about it (absent when ok). */
  readonly fix?: string;
}

/** What one deployed stack should have, read from its synthesized Terraform JSON. */
export interface StackExpectation {
  readonly stack: string;
  readonly region: string;
  readonly cluster: string;
  readonly services: readonly { readonly name: string; readonly targetGroup?: string }[];
  readonly repositories: readonly string[];
  /** The stack's private REST APIs (one per service). */
  readonly apiNames: readonly string[];
  /** An adopted CA to check by ARN; otherwise CAs tagged farcar:stack=<stack>. */
  readonly adoptedCaArn?: string;
  readonly createsCa: boolean;
}

export interface DoctorPlan {
  readonly environment: string;
  readonly stacks: readonly StackExpectation[];
  readonly scp?: { readonly name: string; readonly targetId: string };
}

type Resources = Record<string, Record<string, Record<string, unknown>>>;

function each(json: TerraformJson, type: string): Record<string, unknown>[] {
  return Object.values(((json as { resource?: Resources }).resource ?? {})[type] ?? {});
}

export function doctorPlan(_fleet: Fleet, env: FleetEnvironment, stacks: Record<string, TerraformJson>): DoctorPlan {
  const out: StackExpectation[] = [];
  for (const name of [`${env.key}-ingress`, `${env.key}-egress`]) {
    const json = stacks[name];
    if (!json) continue;
    const tgByResource = new Map<string, string>();
    for (const [id, tg] of Object.entries(((json as { resource?: Resources }).resource ?? {}).aws_lb_target_group ?? {})) tgByResource.set(id, String(tg.name));
    out.push({
      stack: name,
      region: env.region,
      cluster: String(each(json, "aws_ecs_cluster")[0]?.name ?? ""),
      services: each(json, "aws_ecs_service").map((s) => {
        const lb = (s.load_balancer as { target_group_arn?: string }[] | undefined)?.[0]?.target_group_arn ?? "";
        const ref = /aws_lb_target_group\.([^.]+)\.arn/.exec(lb)?.[1];
        return { name: String(s.name), targetGroup: ref ? tgByResource.get(ref) : undefined };
      }),
      // The repositories live in the stack's images stack (applied first); the proxy stack pulls from them.
      repositories: each(stacks[`${name}-images`] ?? json, "aws_ecr_repository").map((r) => String(r.name)),
      apiNames: each(json, "aws_api_gateway_rest_api").map((a) => String(a.name)),
      adoptedCaArn: name.endsWith("-ingress") ? env.identity.acquisitionCaArn : undefined,
      createsCa: each(json, "aws_acmpca_certificate_authority").length > 0,
    });
  }
  const org = stacks.org;
  const policy = org && each(org, "aws_organizations_policy").find((p) => p.type === "SERVICE_CONTROL_POLICY");
  const attachment = org && each(org, "aws_organizations_policy_attachment")[0];
  return {
    environment: env.key,
    stacks: out,
    scp: policy && attachment ? { name: String(policy.name), targetId: String(attachment.target_id) } : undefined,
  };
}

export interface DoctorClients {
  readonly pca: ACMPCAClient;
  readonly ecr: ECRClient;
  readonly ecs: ECSClient;
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly ec2: EC2Client;
  readonly apigw: APIGatewayClient;
  /** Management-account credentials; absent: the SCP check is skipped. */
  readonly org?: OrganizationsClient;
}

export function defaultClients(region: string, withOrg: boolean): DoctorClients {
  return {
    pca: new ACMPCAClient({ region }),
    ecr: new ECRClient({ region }),
    ecs: new ECSClient({ region }),
    elbv2: new ElasticLoadBalancingV2Client({ region }),
    ec2: new EC2Client({ region }),
    apigw: new APIGatewayClient({ region }),
    org: withOrg ? new OrganizationsClient({ region }) : undefined,
  };
}

const CA_RENEW_DAYS = 30;

/** Run every check; a check that cannot read what it needs reports that (with the permission to add) instead of failing the others. */
export async function runDoctor(plan: DoctorPlan, c: DoctorClients, now = new Date()): Promise<Finding[]> {
  const findings: Finding[] = [];
  const guard = async (check: Finding["check"], what: string, fn: () => Promise<Finding[]>) => {
    try {
      findings.push(...(await fn()));
    } catch (err) {
      const e = err as { name?: string; message?: string };
      findings.push({
        check,
        status: "warn",
        message: `could not check ${what}: ${e.name ?? "Error"}: ${e.message ?? String(err)}`,
        fix: /AccessDenied|UnauthorizedOperation|not authorized/i.test(`${e.name} ${e.message}`)
          ? "run with read access to the proxy account (e.g. the ReadOnlyAccess managed policy) or set AWS_PROFILE"
          : "check credentials (AWS_PROFILE) and region, then run again",
      });
    }
  };
  for (const s of plan.stacks) {
    await guard("ca", `the Private CAs of ${s.stack}`, () => checkCa(s, c, now));
    await guard("tasks", `the ECS services of ${s.stack}`, () => checkServicesAndImages(s, c));
    await guard("targets", `the target groups of ${s.stack}`, () => checkTargets(s, c));
    await guard("endpoint", `the execute-api endpoint of ${s.stack}`, () => checkEndpoint(s, c));
  }
  if (plan.scp && c.org) await guard("scp", "the SCP attachment", () => checkScp(plan.scp!, c.org!));
  return findings;
}

async function checkCa(s: StackExpectation, c: DoctorClients, now: Date): Promise<Finding[]> {
  const cas = [];
  if (s.adoptedCaArn) {
    const r = await c.pca.send(new DescribeCertificateAuthorityCommand({ CertificateAuthorityArn: s.adoptedCaArn }));
    if (r.CertificateAuthority) cas.push(r.CertificateAuthority);
  }
  if (s.createsCa) {
    let token: string | undefined;
    do {
      const page = await c.pca.send(new ListCertificateAuthoritiesCommand({ NextToken: token }));
      for (const ca of page.CertificateAuthorities ?? []) {
        if (ca.Status === "DELETED") continue;
        const tags = await c.pca.send(new ListTagsCommand({ CertificateAuthorityArn: ca.Arn }));
        if ((tags.Tags ?? []).some((t) => t.Key === "farcar:stack" && t.Value === s.stack)) cas.push(ca);
      }
      token = page.NextToken;
    } while (token);
  }
  const missing: Finding[] =
    s.createsCa && !cas.some((ca) => ca.Arn !== s.adoptedCaArn)
      ? [{ check: "ca", status: "fail", message: `${s.stack}: no Private CA tagged farcar:stack=${s.stack}`, fix: `deploy the stack: npx cdktf deploy ${s.stack}` }]
      : [];
  return [...missing, ...cas.map((ca): Finding => {
    const name = `${s.stack}: CA ${ca.Arn}`;
    const days = ca.NotAfter ? Math.floor((ca.NotAfter.getTime() - now.getTime()) / 86_400_000) : undefined;
    if (ca.Status === "PENDING_CERTIFICATE")
      return { check: "ca", status: "fail", message: `${name} is PENDING_CERTIFICATE: it has no CA certificate yet and issues nothing`, fix: "sign and import its certificate (help/identity.md, the signing ceremony)" };
    if (ca.Status !== "ACTIVE")
      return { check: "ca", status: "fail", message: `${name} is ${ca.Status}${ca.FailureReason ? ` (${ca.FailureReason})` : ""}`, fix: ca.Status === "DISABLED" ? "re-enable it: aws acm-pca update-certificate-authority --status ACTIVE" : "replace it (help/identity.md, rotation)" };
    if (days !== undefined && days < 0) return { check: "ca", status: "fail", message: `${name} expired ${-days} days ago`, fix: "renew its certificate (help/identity.md, rotation)" };
    if (days !== undefined && days < CA_RENEW_DAYS)
      return { check: "ca", status: "warn", message: `${name} expires in ${days} days (${ca.NotAfter!.toISOString().slice(0, 10)})`, fix: "renew its certificate now (help/identity.md, rotation)" };
    return { check: "ca", status: "ok", message: `${name} is ACTIVE${days !== undefined ? `, ${days} days left` : ""}` };
  })];
}

async function checkServicesAndImages(s: StackExpectation, c: DoctorClients): Promise<Finding[]> {
  const out: Finding[] = [];
  if (!s.services.length) return out;
  let described;
  try {
    described = await c.ecs.send(new DescribeServicesCommand({ cluster: s.cluster, services: s.services.map((x) => x.name) }));
  } catch (err) {
    if ((err as { name?: string }).name === "ClusterNotFoundException")
      return [{ check: "tasks", status: "fail", message: `${s.stack}: ECS cluster ${s.cluster} not found`, fix: `deploy the stack: npx cdktf deploy ${s.stack}` }];
    throw err;
  }
  const images = new Set<string>();
  for (const want of s.services) {
    const svc = described.services?.find((x) => x.serviceName === want.name);
    if (!svc || svc.status !== "ACTIVE") {
      out.push({ check: "tasks", status: "fail", message: `${s.stack}: service ${want.name} is ${svc?.status ?? "missing"}`, fix: `deploy the stack: npx cdktf deploy ${s.stack}` });
      continue;
    }
    if (svc.taskDefinition) {
      const td = await c.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: svc.taskDefinition }));
      for (const cd of td.taskDefinition?.containerDefinitions ?? []) if (cd.image) images.add(cd.image);
    }
    const running = svc.runningCount ?? 0;
    const desired = svc.desiredCount ?? 0;
    const tasks = await c.ecs.send(new ListTasksCommand({ cluster: s.cluster, serviceName: want.name, desiredStatus: "RUNNING" }));
    const arns = tasks.taskArns ?? [];
    const details = arns.length ? await c.ecs.send(new DescribeTasksCommand({ cluster: s.cluster, tasks: arns })) : { tasks: [] };
    const unhealthy = (details.tasks ?? []).filter((t) => t.healthStatus === "UNHEALTHY");
    if (running < desired) {
      const reason = svc.events?.[0]?.message;
      out.push({
        check: "tasks",
        status: "fail",
        message: `${s.stack}: ${want.name} runs ${running} of ${desired} tasks${reason ? `; latest event: ${reason}` : ""}`,
        fix: `read why tasks stop: aws ecs describe-tasks --cluster ${s.cluster} --tasks $(aws ecs list-tasks --cluster ${s.cluster} --service-name ${want.name} --desired-status STOPPED --query 'taskArns[0]' --output text) --query 'tasks[0].[stoppedReason,containers[].reason]' (a missing image or a CA without its certificate are the usual causes; see the images and ca findings)`,
      });
    } else if (unhealthy.length) {
      out.push({ check: "tasks", status: "fail", message: `${s.stack}: ${want.name}: ${unhealthy.length} of ${arns.length} tasks UNHEALTHY`, fix: "read the container logs (the task definition's awslogs group); Envoy is unhealthy until its identity files exist" });
    } else out.push({ check: "tasks", status: "ok", message: `${s.stack}: ${want.name} runs ${running}/${desired} tasks, none unhealthy` });
  }
  out.push(...(await checkImages(s, c, [...images])));
  return out;
}

/** `<account>.dkr.ecr.<region>.amazonaws.com/<repo>(:tag|@digest)` → repository and image id. */
export function parseEcrImage(image: string): { repositoryName: string; imageTag?: string; imageDigest?: string } | undefined {
  const m = /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?\/([^:@]+)(?::([^@]+))?(?:@(sha256:[0-9a-f]{64}))?$/.exec(image);
  if (!m) return undefined;
  return { repositoryName: m[1], imageTag: m[3] ? undefined : (m[2] ?? "latest"), imageDigest: m[3] };
}

async function checkImages(s: StackExpectation, c: DoctorClients, images: string[]): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const image of images.sort()) {
    const ref = parseEcrImage(image);
    if (!ref || !s.repositories.includes(ref.repositoryName)) continue; // not one of the stack's repositories
    try {
      await c.ecr.send(new DescribeImagesCommand({ repositoryName: ref.repositoryName, imageIds: [{ imageTag: ref.imageTag, imageDigest: ref.imageDigest }] }));
      out.push({ check: "images", status: "ok", message: `${s.stack}: image ${image} is in ECR` });
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (name !== "ImageNotFoundException" && name !== "RepositoryNotFoundException") throw err;
      out.push({
        check: "images",
        status: "fail",
        message: `${s.stack}: image ${image} is not in ECR (${name})`,
        fix: `build and push it: docker push ${image} (envoy/README.md, envoy/sidecar/README.md); the service starts once it exists`,
      });
    }
  }
  return out;
}

async function checkTargets(s: StackExpectation, c: DoctorClients): Promise<Finding[]> {
  const names = s.services.map((x) => x.targetGroup).filter((n): n is string => !!n);
  if (!names.length) return [];
  const out: Finding[] = [];
  let groups;
  try {
    groups = await c.elbv2.send(new DescribeTargetGroupsCommand({ Names: names }));
  } catch (err) {
    if ((err as { name?: string }).name === "TargetGroupNotFoundException")
      return [{ check: "targets", status: "fail", message: `${s.stack}: target groups ${names.join(", ")} not (all) found`, fix: `deploy the stack: npx cdktf deploy ${s.stack}` }];
    throw err;
  }
  for (const tg of groups.TargetGroups ?? []) {
    const h = await c.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg.TargetGroupArn }));
    const all = h.TargetHealthDescriptions ?? [];
    const healthy = all.filter((t) => t.TargetHealth?.State === "healthy");
    if (!healthy.length) {
      const why = [...new Set(all.map((t) => `${t.TargetHealth?.State}${t.TargetHealth?.Reason ? ` ${t.TargetHealth.Reason}` : ""}`))].join(", ") || "no targets registered";
      out.push({
        check: "targets",
        status: "fail",
        message: `${s.stack}: target group ${tg.TargetGroupName}: no healthy target (${why})`,
        fix: "no task is registered or passing the NLB health check: fix the tasks finding first; then check the task security group admits the NLB on the health-check port",
      });
    } else out.push({ check: "targets", status: "ok", message: `${s.stack}: target group ${tg.TargetGroupName}: ${healthy.length}/${all.length} targets healthy` });
  }
  return out;
}

async function checkEndpoint(s: StackExpectation, c: DoctorClients): Promise<Finding[]> {
  if (!s.apiNames.length) return [];
  const eps = await c.ec2.send(
    new DescribeVpcEndpointsCommand({
      Filters: [
        { Name: "tag:farcar:stack", Values: [s.stack] },
        { Name: "service-name", Values: [`com.amazonaws.${s.region}.execute-api`] },
      ],
    }),
  );
  const ep = eps.VpcEndpoints?.[0];
  if (!ep) return [{ check: "endpoint", status: "fail", message: `${s.stack}: no execute-api VPC endpoint tagged farcar:stack=${s.stack}`, fix: `deploy the stack: npx cdktf deploy ${s.stack}` }];
  const out: Finding[] = [];
  if (ep.State?.toLowerCase() !== "available")
    out.push({ check: "endpoint", status: "fail", message: `${s.stack}: endpoint ${ep.VpcEndpointId} is ${ep.State}`, fix: "wait for it to become available, or re-apply the stack if it failed" });
  if (!ep.PrivateDnsEnabled || !(ep.DnsEntries ?? []).length)
    out.push({ check: "endpoint", status: "fail", message: `${s.stack}: endpoint ${ep.VpcEndpointId} has ${ep.PrivateDnsEnabled ? "no DNS entries" : "private DNS disabled"}`, fix: "re-apply the stack (private_dns_enabled = true); callers resolve *.execute-api through it" });
  // Every API of the stack (one per service), from the account's list, page by page.
  const wanted = new Set(s.apiNames);
  const found = new Map<string, { id?: string; endpointConfiguration?: { vpcEndpointIds?: string[] } }>();
  let position: string | undefined;
  do {
    const page = await c.apigw.send(new GetRestApisCommand({ position, limit: 500 }));
    for (const a of page.items ?? []) if (a.name && wanted.has(a.name) && !found.has(a.name)) found.set(a.name, a);
    position = found.size < wanted.size ? page.position : undefined;
  } while (position);
  for (const name of s.apiNames) {
    const api = found.get(name);
    if (!api) out.push({ check: "endpoint", status: "fail", message: `${s.stack}: private API ${name} not found`, fix: `deploy the stack: npx cdktf deploy ${s.stack}` });
    else if (!(api.endpointConfiguration?.vpcEndpointIds ?? []).includes(ep.VpcEndpointId!))
      out.push({
        check: "endpoint",
        status: "fail",
        message: `${s.stack}: API ${api.id} (${name}) is not associated with endpoint ${ep.VpcEndpointId} (associated: ${(api.endpointConfiguration?.vpcEndpointIds ?? []).join(", ") || "none"})`,
        fix: `re-apply the stack (it sets endpoint_configuration.vpc_endpoint_ids); until then callers get 403 Forbidden`,
      });
  }
  if (!out.length) {
    const ids = s.apiNames.map((n) => found.get(n)!.id);
    out.push({ check: "endpoint", status: "ok", message: `${s.stack}: endpoint ${ep.VpcEndpointId} available with private DNS; ${ids.length === 1 ? `API ${ids[0]}` : `${ids.length} APIs`} associated with it` });
  }
  return out;
}

async function checkScp(scp: { name: string; targetId: string }, org: OrganizationsClient): Promise<Finding[]> {
  let token: string | undefined;
  do {
    const page = await org.send(new ListPoliciesForTargetCommand({ TargetId: scp.targetId, Filter: "SERVICE_CONTROL_POLICY", NextToken: token }));
    if ((page.Policies ?? []).some((p) => p.Name === scp.name)) return [{ check: "scp", status: "ok", message: `SCP ${scp.name} is attached to ${scp.targetId}` }];
    token = page.NextToken;
  } while (token);
  return [{ check: "scp", status: "fail", message: `SCP ${scp.name} is not attached to ${scp.targetId}: the proxy accounts run without their guardrails`, fix: "apply the org stack from the management account: npx cdktf deploy org" }];
}

export function formatFindings(findings: readonly Finding[]): string {
  const mark: Record<Status, string> = { ok: "ok  ", warn: "WARN", fail: "FAIL" };
  const lines = findings.map((f) => `${mark[f.status]} [${f.check}] ${f.message}${f.fix ? `\n       fix: ${f.fix}` : ""}`);
  const fails = findings.filter((f) => f.status === "fail").length;
  const warns = findings.filter((f) => f.status === "warn").length;
  lines.push(`${findings.length} checks: ${fails} failed, ${warns} warnings.`);
  return `${lines.join("\n")}\n`;
}
