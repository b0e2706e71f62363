/**
 * The guardrail proof (help/security.md, "What `npm run verify` proves"): the SCPs the `org` stack
 * synthesizes, attached where it attaches them, simulated with iam-simulate for every principal
 * that can exist inside each ingress proxy account and every action that could hijack a Farcar's
 * identity there — change the API's policy or an integration, deploy, issue a certificate, change
 * a CA, pass or change a Farcar role, run or exec into a Farcar task, overwrite a Farcar secret,
 * open or borrow a Farcar security group.
 *
 * The expectation comes from the fleet file alone, never from the policies: **allowed exactly for
 * the deploy role (`organization.accountAccessRoleName`), the break-glass role and the platform
 * roles (`organization.guardrails`), and for the environment's SVID issuer role
 * (`issuerRoleName`, config/names.ts) issuing certificates; denied for everyone else, Farcar task
 * roles included.** Every principal is given an allow-everything identity policy (an administrator
 * of the account can grant itself anything): the SCPs alone must hold. A difference is a HOLE
 * (someone else can do it) or a LOCKOUT (an exempt role cannot), named by principal and action.
 *
 * The probes are read from the synthesized ingress stacks (every role, secret, ECS cluster,
 * service and task definition, security group, CA, REST API and VPC link they create), so a
 * resource whose name falls outside the guarded patterns shows up as a hole.
 *
 * What the SCP chain looks like: root and every level carry `FullAWSAccess`; a created account
 * sits in the OU its `aws_organizations_account.parent_id` names; an **adopted** account is
 * assumed to sit in some other OU (synth cannot know where), so only the SCPs attached to the
 * account itself protect it — which is why the org stack attaches them there.
 */
import { runSimulation, runUnsafeSimulation, type EvaluationResult, type RequestAnalysis, type Simulation } from "@cloud-copilot/iam-simulate";
import type { Fleet, FleetEnvironment } from "../config/fleet";
import { accountIdOutputName, issuerRoleName, partitionOf, shortHash, stackName } from "../config/names";
import { ISSUER_ENV } from "../issuer/identity";
import { FARCAR_STACK_TAG } from "../stacks/org-stack";
import { standInAccounts } from "./isolation";
import { prepareIdentityPolicy, prepareServiceControlPolicy, type PreparedPolicy } from "./simulator";
import { fakeApiId, type TerraformJson } from "./terraform-refs";

/** One action someone in a proxy account could take against a Farcar's identity. */
export interface GuardrailProbe {
  /** What it would achieve, for the report ("change the API's resource policy"). */
  readonly what: string;
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, string | string[]>>;
  /** The environment's SVID issuer role may do this too (certificate issuance: it writes the SAN itself). */
  readonly issuerMay?: boolean;
  /** Nobody may do this, exempt roles included (test invoke: no SigV4 caller behind it). */
  readonly deniedToAll?: boolean;
}

export type PrincipalKind = "deploy" | "break-glass" | "platform" | "issuer" | "farcar" | "other";

export interface GuardrailPrincipal {
  readonly arn: string;
  readonly label: string;
  readonly kind: PrincipalKind;
}

export interface GuardrailFinding {
  readonly kind: "HOLE" | "LOCKOUT";
  readonly environment: string;
  readonly accountId: string;
  readonly principal: string;
  readonly principalLabel: string;
  readonly what: string;
  readonly action: string;
  readonly resource: string;
  readonly expected: "Allowed" | "Denied";
  readonly got: string;
  /** `Deny scp:<target>:<Sid>` of every SCP statement that denied. */
  readonly decisive: string[];
}

export interface GuardrailAccountReport {
  readonly environment: string;
  readonly accountId: string;
  readonly adopted: boolean;
  /** Guardrail SCP names attached to the OU the account is in (created) / to the account itself. */
  readonly ouPolicies: string[];
  readonly accountPolicies: string[];
  readonly principals: number;
  readonly probes: number;
  readonly cases: number;
  readonly findings: GuardrailFinding[];
  readonly ms: number;
}

export interface GuardrailReport {
  readonly ok: boolean;
  readonly cases: number;
  readonly findings: number;
  readonly accounts: GuardrailAccountReport[];
  readonly problems: string[];
  readonly notes: string[];
  readonly ms: number;
}

export interface GuardrailOptions {
  /** Only these environments (`<acquisition>-<environment>`), e.g. from `--stack` names. */
  readonly environments?: readonly string[];
}

const FULL_AWS_ACCESS = prepareServiceControlPolicy("FullAWSAccess", {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
});
const ALLOW_EVERYTHING = prepareIdentityPolicy("AllowEverything", {
  Version: "2012-10-17",
  Statement: [{ Sid: "AllowEverything", Effect: "Allow", Action: "*", Resource: "*" }],
});
/** Every n-th simulated case is re-run through the validated runSimulation (every finding is, too). */
const CROSS_CHECK_EVERY = 23;
/**
 * A Farcar role that shares its class with another (principalClasses) is still simulated for every
 * n-th probe (each member its own slice); in a class of more than 2n members, every
 * (members / 2)-th, so each probe is still simulated by about two members of every class.
 */
export const CLASS_SAMPLE_EVERY = 7;

/** Condition keys whose request value is the same for every principal of an account (guardrailProbes sets them per probe). */
const PRINCIPAL_INDEPENDENT_KEYS = /^(aws:requestedregion|aws:principalaccount|aws:resourcetag\/.+|aws:requesttag\/.+|aws:tagkeys|iam:passedtoservice)$/i;

/**
 * The values SCP conditions compare `aws:PrincipalArn` with — the only way an SCP can tell two
 * principals of one account apart (SCPs have no Principal element; every principal gets the same
 * allow-everything identity policy and the same request context but for aws:PrincipalArn).
 * undefined when an SCP could tell them apart some other way (a policy variable, another
 * principal-dependent condition key): then no principals are grouped.
 */
export function principalArnPatterns(documents: readonly unknown[]): string[] | undefined {
  const patterns = new Set<string>();
  for (const document of documents) {
    if (JSON.stringify(document).includes("${")) return undefined;
    const statements = ([] as unknown[]).concat((document as { Statement?: unknown })?.Statement ?? []) as Record<string, unknown>[];
    for (const st of statements) {
      for (const block of Object.values((st.Condition ?? {}) as Record<string, Record<string, unknown>>)) {
        for (const [key, values] of Object.entries(block)) {
          if (key.toLowerCase() === "aws:principalarn") for (const v of ([] as unknown[]).concat(values)) patterns.add(String(v));
          else if (!PRINCIPAL_INDEPENDENT_KEYS.test(key)) return undefined;
        }
      }
    }
  }
  return [...patterns];
}

const globOf = (pattern: string, flags: string) =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[\\s\\S]*").replace(/\?/g, "[\\s\\S]")}$`, flags);

/**
 * Farcar roles no guardrail SCP can tell apart: same account and ARN shape, and the same answer
 * to every `aws:PrincipalArn` pattern of the SCPs (glob over the whole ARN and segment by segment,
 * with and without case, and equality). `member ARN → representative ARN` for every role but the
 * first of its class; empty when the SCPs could tell principals apart otherwise. Other principals
 * (exempt, issuer, administrators, root…) are never grouped.
 */
export function principalClasses(principals: readonly GuardrailPrincipal[], patterns: readonly string[] | undefined): Map<string, string> {
  const members = new Map<string, string>();
  if (!patterns) return members;
  const matchers = patterns.map((p) => ({
    p,
    whole: [globOf(p, ""), globOf(p, "i")],
    segments: p.split(":").map((seg) => [globOf(seg, ""), globOf(seg, "i")]),
  }));
  const representative = new Map<string, string>();
  for (const principal of principals) {
    const m = /^(arn:[\w-]+:iam::\d{12}:role\/)([\w+=,.@-]+)$/.exec(principal.arn);
    if (principal.kind !== "farcar" || !m) continue;
    const parts = principal.arn.split(":");
    const signature = [
      m[1],
      ...matchers.map(({ p, whole, segments }) =>
        [
          ...whole.map((r) => r.test(principal.arn)),
          p === principal.arn,
          p.toLowerCase() === principal.arn.toLowerCase(),
          segments.length === parts.length && segments.every((rs, i) => rs[0].test(parts[i])),
          segments.length === parts.length && segments.every((rs, i) => rs[1].test(parts[i])),
        ]
          .map(Number)
          .join(""),
      ),
    ].join(" ");
    const first = representative.get(signature);
    if (first === undefined) representative.set(signature, principal.arn);
    else members.set(principal.arn, first);
  }
  return members;
}

/** Guardrail SCPs and their attachments, as the org stack synthesized them. */
interface OrgPolicies {
  readonly byId: Map<string, PreparedPolicy>;
  /** target (OU id, account id or `${aws_organizations_account.<id>.id}`) → policy resource ids */
  readonly attachments: Map<string, string[]>;
}

function readOrg(org: TerraformJson, problems: string[]): OrgPolicies {
  const byId = new Map<string, PreparedPolicy>();
  for (const [id, p] of Object.entries((org.resource?.aws_organizations_policy ?? {}) as Record<string, TerraformJson>)) {
    if (p.type !== "SERVICE_CONTROL_POLICY") continue;
    let document: unknown;
    try {
      document = JSON.parse(p.content as string);
    } catch {
      problems.push(`org: aws_organizations_policy.${id}: content is not JSON`);
      continue;
    }
    const prepared = prepareServiceControlPolicy(p.name as string, document);
    // An SCP AWS Organizations would refuse is a problem, not something to simulate.
    for (const e of prepared.errors) problems.push(`org: SCP ${p.name}: ${e}`);
    if (!prepared.errors.length) byId.set(id, prepared);
  }
  const attachments = new Map<string, string[]>();
  for (const [id, a] of Object.entries((org.resource?.aws_organizations_policy_attachment ?? {}) as Record<string, TerraformJson>)) {
    const m = /^\$\{aws_organizations_policy\.([^.]+)\.id\}$/.exec(a.policy_id as string);
    if (!m || !byId.has(m[1])) {
      problems.push(`org: aws_organizations_policy_attachment.${id}: policy_id ${a.policy_id} is not a guardrail SCP of the org stack`);
      continue;
    }
    const list = attachments.get(a.target_id as string) ?? [];
    list.push(m[1]);
    attachments.set(a.target_id as string, list);
  }
  return { byId, attachments };
}

/** Principals that can exist in `accountId`, with what the fleet file says about each. */
export function guardrailPrincipals(
  fleet: Fleet,
  partition: string,
  accountId: string,
  farcarRoles: readonly string[],
  /** The environment's SVID issuer role, from the fleet file (issuerRoleName). */
  issuerRole?: string,
): GuardrailPrincipal[] {
  const role = (name: string) => `arn:${partition}:iam::${accountId}:role/${name}`;
  const g = fleet.organization.guardrails;
  const deploy = fleet.organization.accountAccessRoleName;
  return [
    { arn: role(deploy), label: "the deploy role", kind: "deploy" },
    ...(g.breakGlassRoleName ? [{ arn: role(g.breakGlassRoleName), label: "the break-glass role", kind: "break-glass" as const }] : []),
    ...g.exemptRoleNames.map((p) => ({ arn: role(p.replace(/\*$/, "0a1b2c3d")), label: `platform role ${p}`, kind: "platform" as const })),
    { arn: role("ProxyAdministrator"), label: "an administrator of the proxy account", kind: "other" },
    // SCPs restrict a member account's root user too (only the management account is outside them).
    { arn: `arn:${partition}:iam::${accountId}:root`, label: "the account's root user", kind: "other" },
    {
      arn: role("aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_0123456789abcdef"),
      label: "an IAM Identity Center administrator",
      kind: "other",
    },
    { arn: role(`${deploy}-copy`), label: "a role named like the deploy role plus a suffix", kind: "other" },
    ...farcarRoles.map((name) =>
      name === issuerRole
        ? { arn: role(name), label: "the environment's SVID issuer role", kind: "issuer" as const }
        : { arn: role(name), label: "a Farcar role (code running in its task)", kind: "farcar" as const },
    ),
  ];
}

type Resources = Record<string, TerraformJson>;
const resources = (tf: TerraformJson, type: string): [string, TerraformJson][] => Object.entries((tf.resource?.[type] ?? {}) as Resources);
const literal = (v: unknown): string | undefined => (typeof v === "string" && !v.includes("${") ? v : undefined);

/** Every hijack action against what `tf` (an ingress stack) creates in `accountId`. */
export function guardrailProbes(fleet: Fleet, env: FleetEnvironment, stack: string, tf: TerraformJson, accountId: string, problems: string[]): GuardrailProbe[] {
  const partition = partitionOf(env.region);
  const region = env.region;
  const arn = (service: string, rest: string, acct = accountId, reg = region) => `arn:${partition}:${service}:${reg}:${acct}:${rest}`;
  const apigw = (path: string) => `arn:${partition}:apigateway:${region}::${path}`;
  const probes: GuardrailProbe[] = [];
  const named = (type: string, field: string): [string, string][] =>
    resources(tf, type).flatMap(([id, r]) => {
      const name = literal(r[field]);
      if (!name) problems.push(`${stack}: ${type}.${id}: ${field} is not a literal; verify cannot name it`);
      return name ? [[id, name] as [string, string]] : [];
    });

  // The private API and its VPC links.
  for (const [id] of resources(tf, "aws_api_gateway_rest_api")) {
    const api = fakeApiId(stack, id);
    probes.push(
      { what: "change the API's resource policy", action: "apigateway:PATCH", resource: apigw(`/restapis/${api}`) },
      { what: "replace the API definition", action: "apigateway:PUT", resource: apigw(`/restapis/${api}`) },
      { what: "re-point an integration", action: "apigateway:PUT", resource: apigw(`/restapis/${api}/resources/a1b2c3/methods/ANY/integration`) },
      { what: "add a method", action: "apigateway:PUT", resource: apigw(`/restapis/${api}/resources/a1b2c3/methods/GET`) },
      { what: "deploy the API", action: "apigateway:POST", resource: apigw(`/restapis/${api}/deployments`) },
      { what: "change the stage", action: "apigateway:PATCH", resource: apigw(`/restapis/${api}/stages/${env.environment}`) },
      {
        what: "test-invoke a method (no SigV4 caller)",
        action: "apigateway:POST",
        resource: apigw(`/restapis/${api}/resources/a1b2c3/methods/GET`),
        deniedToAll: true,
      },
    );
  }
  probes.push({ what: "create another API (to use a Farcar's VPC link)", action: "apigateway:POST", resource: apigw("/restapis") });
  probes.push({ what: "create a VPC link to a Farcar NLB", action: "apigateway:POST", resource: apigw("/vpclinks") });
  for (const [id, name] of named("aws_api_gateway_vpc_link", "name")) {
    probes.push({ what: `re-point VPC link ${name}`, action: "apigateway:PATCH", resource: apigw(`/vpclinks/${shortHash(`vpclink:${stack}:${id}`, 6)}`) });
  }

  // Certificate authorities: the stack's own, an adopted one, and any other CA in the account.
  const cas = resources(tf, "aws_acmpca_certificate_authority").map(([id]) => ({
    label: `CA ${id.replace(/_[0-9A-F]{8}$/, "")}`,
    arn: arn("acm-pca", `certificate-authority/${uuidFrom(`${stack}:${id}`)}`),
  }));
  if (env.identity.acquisitionCaArn) cas.push({ label: "the adopted acquisition CA", arn: env.identity.acquisitionCaArn });
  cas.push({ label: "any other CA in the account", arn: arn("acm-pca", `certificate-authority/${uuidFrom(`${stack}:other`)}`) });
  for (const ca of cas) {
    probes.push(
      { what: `issue a certificate from ${ca.label}`, action: "acm-pca:IssueCertificate", resource: ca.arn, issuerMay: true },
      { what: `install another certificate in ${ca.label}`, action: "acm-pca:ImportCertificateAuthorityCertificate", resource: ca.arn },
      { what: `change the resource policy of ${ca.label}`, action: "acm-pca:PutPolicy", resource: ca.arn },
      { what: `let a service issue from ${ca.label}`, action: "acm-pca:CreatePermission", resource: ca.arn },
    );
  }
  probes.push({ what: "create a CA", action: "acm-pca:CreateCertificateAuthority", resource: "*" });

  // Roles: the stack's, the deploy and exempt roles, and look-alike names.
  const roleArn = (name: string) => `arn:${partition}:iam::${accountId}:role/${name}`;
  for (const [, name] of named("aws_iam_role", "name")) {
    probes.push(
      { what: `pass ${name} to a task, function or instance`, action: "iam:PassRole", resource: roleArn(name), context: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
      { what: `change the trust policy of ${name}`, action: "iam:UpdateAssumeRolePolicy", resource: roleArn(name) },
      { what: `add a policy to ${name}`, action: "iam:PutRolePolicy", resource: roleArn(name) },
    );
  }
  const g = fleet.organization.guardrails;
  for (const name of [fleet.organization.accountAccessRoleName, ...(g.breakGlassRoleName ? [g.breakGlassRoleName] : [])]) {
    probes.push({ what: `change the trust policy of exempt role ${name}`, action: "iam:UpdateAssumeRolePolicy", resource: roleArn(name) });
  }
  for (const p of g.exemptRoleNames) {
    const name = p.replace(/\*$/, "me");
    probes.push({ what: `create a role ${name} that the exemption ${p} would cover`, action: "iam:CreateRole", resource: roleArn(name) });
    if (p.endsWith("*")) {
      probes.push({ what: `create a role whose path makes its ARN match ${p}`, action: "iam:CreateRole", resource: roleArn(`${name}/admin`) });
    }
  }
  probes.push({ what: "create a role named like a Farcar role", action: "iam:CreateRole", resource: roleArn("farcar-me-task") });

  // ECS: the cluster, services, task definitions.
  for (const [, cluster] of named("aws_ecs_cluster", "name")) {
    probes.push({ what: `exec into a task of cluster ${cluster}`, action: "ecs:ExecuteCommand", resource: arn("ecs", `task/${cluster}/0123456789abcdef0123456789abcdef`) });
    for (const [, service] of named("aws_ecs_service", "name")) {
      probes.push({ what: `point service ${service} at another task definition`, action: "ecs:UpdateService", resource: arn("ecs", `service/${cluster}/${service}`) });
    }
  }
  for (const [, family] of named("aws_ecs_task_definition", "family")) {
    probes.push({ what: `run a task of ${family} (its role, its identity)`, action: "ecs:RunTask", resource: arn("ecs", `task-definition/${family}:1`) });
  }

  // Secrets (SVIDs, trust bundles) and functions.
  for (const [, name] of named("aws_secretsmanager_secret", "name")) {
    const secret = arn("secretsmanager", `secret:${name}-AbCdEf`);
    probes.push(
      { what: `overwrite secret ${name}`, action: "secretsmanager:PutSecretValue", resource: secret },
      { what: `change the resource policy of secret ${name}`, action: "secretsmanager:PutResourcePolicy", resource: secret },
    );
  }
  // Functions (the SVID issuer): whoever may change its code, configuration, aliases, versions or
  // resource policy obtains every SPIFFE ID. Alias actions are authorized on the function and on
  // the alias ARN (Lambda "Resources and conditions for Lambda actions"): probe both.
  for (const [, name] of named("aws_lambda_function", "function_name")) {
    const fn = arn("lambda", `function:${name}`);
    const alias = `${fn}:farcar-checkout`;
    probes.push(
      { what: `replace the code of function ${name}`, action: "lambda:UpdateFunctionCode", resource: fn },
      { what: `change the configuration (role, environment) of function ${name}`, action: "lambda:UpdateFunctionConfiguration", resource: fn },
      { what: `publish a version of function ${name}`, action: "lambda:PublishVersion", resource: fn },
      { what: `add an alias to function ${name}`, action: "lambda:CreateAlias", resource: fn },
      { what: `re-point an alias of function ${name}`, action: "lambda:UpdateAlias", resource: alias },
      { what: `delete an alias of function ${name}`, action: "lambda:DeleteAlias", resource: alias },
      { what: `let another principal invoke function ${name}`, action: "lambda:AddPermission", resource: fn },
      { what: `remove an invoke permission of function ${name}`, action: "lambda:RemovePermission", resource: alias },
    );
  }

  // Security groups: the provider's default tags must carry farcar:stack (the guardrail keys on it).
  const defaultTags = String(tf.provider?.aws?.[0]?.default_tags?.[0]?.tags ?? "");
  const tagged = defaultTags.includes(`"${FARCAR_STACK_TAG}" = "${stack}"`) || defaultTags.includes(`"${FARCAR_STACK_TAG}":"${stack}"`);
  for (const [id, name] of named("aws_security_group", "name")) {
    const sg = arn("ec2", `security-group/sg-${shortHash(`sg:${stack}:${id}`, 17)}`);
    const own = resources(tf, "aws_security_group").find(([rid]) => rid === id)?.[1].tags?.[FARCAR_STACK_TAG];
    const tags: Record<string, string> = tagged || own ? { [`aws:ResourceTag/${FARCAR_STACK_TAG}`]: String(own ?? stack) } : {};
    probes.push(
      { what: `add an ingress rule to security group ${name}`, action: "ec2:AuthorizeSecurityGroupIngress", resource: sg, context: tags },
      { what: `attach security group ${name} to another network interface`, action: "ec2:ModifyNetworkInterfaceAttribute", resource: sg, context: tags },
      { what: `remove the ${FARCAR_STACK_TAG} tag of security group ${name}`, action: "ec2:DeleteTags", resource: sg, context: { ...tags, "aws:TagKeys": [FARCAR_STACK_TAG] } },
    );
  }
  return probes;
}

/** A stable UUID-shaped id from `seed` (iam-simulate checks CA ARNs' shape). */
function uuidFrom(seed: string): string {
  const h = shortHash(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function expected(principal: GuardrailPrincipal, probe: GuardrailProbe): "Allowed" | "Denied" {
  if (probe.deniedToAll) return "Denied";
  if (principal.kind === "deploy" || principal.kind === "break-glass" || principal.kind === "platform") return "Allowed";
  return principal.kind === "issuer" && probe.issuerMay ? "Allowed" : "Denied";
}

function scpDenials(analysis: RequestAnalysis | undefined): string[] {
  return (analysis?.scpAnalysis?.ouAnalysis ?? []).flatMap((ou) =>
    ou.denyStatements.map((s) => `Deny scp:${ou.orgIdentifier}:${s.statement.sid() ?? `#${s.statement.index()}`}`),
  );
}

/** Simulate the guardrail SCPs of `synthesized.org` for every ingress proxy account of `fleet`. */
export async function verifyGuardrails(fleet: Fleet, synthesized: Record<string, TerraformJson>, options: GuardrailOptions = {}): Promise<GuardrailReport> {
  const t0 = performance.now();
  const problems: string[] = [];
  const notes: string[] = [];
  const accounts: GuardrailAccountReport[] = [];
  const orgJson = synthesized.org;
  if (!orgJson) {
    problems.push("no org stack among the synthesized stacks: the guardrails cannot be verified");
    return { ok: false, cases: 0, findings: 0, accounts, problems, notes, ms: performance.now() - t0 };
  }
  const org = readOrg(orgJson, problems);
  const partition = partitionOf(fleet.region);
  const standIns = standInAccounts(fleet);
  const ou = fleet.organization.proxyOrganizationalUnitId;
  const named = (ids: readonly string[]) => ids.flatMap((id) => org.byId.get(id) ?? []);
  const uncheckable = new Set<string>();
  let crossChecked = 0;
  let simulated = 0;
  let byClass = 0;

  for (const env of fleet.environments) {
    if (options.environments && !options.environments.includes(env.key)) continue;
    const t1 = performance.now();
    const stack = stackName(env.acquisition, env.environment, "ingress");
    const tf = synthesized[stack];
    if (!tf) {
      problems.push(`${env.key}: no ${stack} stack among the synthesized stacks`);
      continue;
    }
    const adopted = !!env.proxyAccount.id;
    const accountId = env.proxyAccount.id ?? standIns.get(accountIdOutputName(env.acquisition, env.environment))!.accountId;
    let ouPolicies: string[] = [];
    let accountPolicies: string[];
    let chain: Simulation["serviceControlPolicies"];
    const withFull = (ids: readonly string[]) => [FULL_AWS_ACCESS, ...named(ids)].map((p) => ({ name: p.name, policy: p.validated }));
    if (adopted) {
      // Worst case: the adopted account is not in the proxy OU; only direct attachments count.
      accountPolicies = org.attachments.get(accountId) ?? [];
      chain = [
        { orgIdentifier: "r-root", policies: withFull([]) },
        { orgIdentifier: "ou-elsewhere", policies: withFull([]) },
        { orgIdentifier: accountId, policies: withFull(accountPolicies) },
      ];
    } else {
      const resource = resources(orgJson, "aws_organizations_account").find(([id]) => id === `account-${env.key}`);
      if (!resource) {
        problems.push(`${env.key}: the org stack creates no aws_organizations_account.account-${env.key}`);
        continue;
      }
      const parent = String(resource[1].parent_id);
      ouPolicies = org.attachments.get(parent) ?? [];
      if (parent !== ou) notes.push(`${env.key}: the created account is placed in ${parent}, not the proxy OU ${ou}`);
      accountPolicies = org.attachments.get(`\${aws_organizations_account.account-${env.key}.id}`) ?? [];
      chain = [
        { orgIdentifier: "r-root", policies: withFull([]) },
        { orgIdentifier: parent, policies: withFull(ouPolicies) },
        { orgIdentifier: accountId, policies: withFull(accountPolicies) },
      ];
    }

    const farcarRoles = resources(tf, "aws_iam_role").flatMap(([, r]) => (literal(r.name) ? [literal(r.name)!] : []));
    const issuerRole = issuerRoleName(env.acquisition, env.environment);
    // The SVID issuer must run as the role the fleet names for it: the SCP lets no other Farcar role issue.
    for (const [id, f] of resources(tf, "aws_lambda_function")) {
      if (f.environment?.variables?.[ISSUER_ENV.spiffeIdTemplate] === undefined) continue;
      const m = /^\$\{aws_iam_role\.([^.]+)\.arn\}$/.exec(String(f.role));
      const name = m ? literal(resources(tf, "aws_iam_role").find(([rid]) => rid === m[1])?.[1].name) : undefined;
      if (name !== issuerRole) {
        problems.push(`${stack}: aws_lambda_function.${id} (the SVID issuer) runs as role ${name ?? String(f.role)}, not ${issuerRole}: the guardrail SCP lets only roles named farcar-issuer-* issue, so it could not`);
      }
    }
    const principals = guardrailPrincipals(fleet, partition, accountId, farcarRoles, issuerRole);
    const probes = guardrailProbes(fleet, env, stack, tf, accountId, problems);
    const findings: GuardrailFinding[] = [];
    let cases = 0;
    // Farcar roles the SCPs cannot tell apart take their class representative's verdicts, but for
    // every CLASS_SAMPLE_EVERY-th probe (each member a different slice), which they simulate and
    // must agree on: a disagreement fails the run.
    const classOf = principalClasses(principals, principalArnPatterns([...named(ouPolicies), ...named(accountPolicies)].map((p) => p.document)));
    const verdicts = new Map<string, { got: EvaluationResult; decisive: string[] }[]>();
    const classSize = new Map<string, number>();
    for (const r of classOf.values()) classSize.set(r, (classSize.get(r) ?? 1) + 1);
    let member = 0;
    for (const principal of principals) {
      const representative = classOf.get(principal.arn);
      const representativeVerdicts = representative === undefined ? undefined : verdicts.get(representative)!;
      const own: { got: EvaluationResult; decisive: string[] }[] = [];
      if (representative === undefined) verdicts.set(principal.arn, own);
      else member++;
      for (const [index, probe] of probes.entries()) {
        cases++;
        const want = expected(principal, probe);
        const finding = (got: EvaluationResult, decisive: string[]): GuardrailFinding => ({
          kind: want === "Denied" ? "HOLE" : "LOCKOUT",
          environment: env.key,
          accountId,
          principal: principal.arn,
          principalLabel: principal.label,
          what: probe.what,
          action: probe.action,
          resource: probe.resource,
          expected: want,
          got,
          decisive,
        });
        const fromClass = representativeVerdicts?.[index];
        const every = Math.max(CLASS_SAMPLE_EVERY, Math.ceil((classSize.get(representative!) ?? 0) / 2));
        if (fromClass && (index + member) % every !== 0) {
          byClass++;
          if ((fromClass.got === "Allowed") !== (want === "Allowed")) findings.push(finding(fromClass.got, fromClass.decisive));
          continue;
        }
        simulated++;
        const simulation: Simulation = {
          request: {
            principal: principal.arn,
            action: probe.action,
            resource: { resource: probe.resource, accountId },
            // AWS sets these from the request; iam-simulate does not derive them (verify/simulator.ts).
            contextVariables: {
              "aws:PrincipalArn": principal.arn,
              "aws:PrincipalAccount": accountId,
              "aws:RequestedRegion": env.region,
              ...probe.context,
            },
          },
          identityPolicies: [{ name: ALLOW_EVERYTHING.name, policy: ALLOW_EVERYTHING.validated }],
          serviceControlPolicies: chain,
          resourceControlPolicies: [],
        };
        const got = runUnsafeSimulation(simulation, {});
        if (fromClass && fromClass.got !== got) {
          problems.push(
            `CLASS DISAGREEMENT ${env.key}: ${principal.arn} ${probe.action} ${probe.resource}: ${got}, but ${representative} (which the SCPs were read as unable to tell apart) ${fromClass.got}`,
          );
        }
        const matches = (got === "Allowed") === (want === "Allowed");
        let analysis: RequestAnalysis | undefined;
        if (!matches || simulated % CROSS_CHECK_EVERY === 0) {
          const checked = await runSimulation(simulation, { simulationMode: "Strict" });
          if (checked.resultType === "error") {
            // iam-data lists no resource type for a few API Gateway paths (e.g. POST …/deployments:
            // its table joins the HTTP and REST API ARN patterns); the fast engine matches ARNs only.
            uncheckable.add(`${probe.action} ${probe.resource.replace(/^arn:[^:]+:apigateway:[^:]*::/, "").replace(/\/restapis\/[^/]+/, "/restapis/{id}")} (${checked.errors.message})`);
          } else {
            crossChecked++;
            if (checked.overallResult !== got) {
              problems.push(`ENGINE DISAGREEMENT ${env.key}: ${principal.arn} ${probe.action} ${probe.resource}: fast ${got}, checked ${checked.overallResult}`);
            }
            analysis = checked.resultType === "single" ? checked.result.analysis : checked.results[0]?.analysis;
          }
        }
        own.push({ got, decisive: matches ? [] : scpDenials(analysis) });
        if (matches) continue;
        findings.push(finding(got, scpDenials(analysis)));
      }
    }
    accounts.push({
      environment: env.key,
      accountId,
      adopted,
      ouPolicies: named(ouPolicies).map((p) => p.name),
      accountPolicies: named(accountPolicies).map((p) => p.name),
      principals: principals.length,
      probes: probes.length,
      cases,
      findings,
      ms: performance.now() - t1,
    });
  }
  const egress = fleet.environments.filter((e) => e.egress && (!options.environments || options.environments.includes(e.key)));
  if (egress.length) {
    notes.push(
      `${egress.length} egress proxy account(s) (${egress.map((e) => e.egress!.accountId).join(", ")}) belong to the acquisitions' organizations: ` +
        "the org stack's SCPs cannot reach them; their guardrails are the acquisition's (help/security.md)",
    );
  }
  notes.push(
    `engine: runUnsafeSimulation on pre-validated SCPs; ${byClass} cases of Farcar roles the SCPs cannot tell apart took their class's verdict ` +
      `(each role still simulated for 1 probe in ${CLASS_SAMPLE_EVERY}, in larger classes each probe for about 2 roles: ${simulated} cases simulated); ` +
      `${crossChecked} cases (1 in ${CROSS_CHECK_EVERY} simulated, and every finding) re-run with runSimulation` +
      (uncheckable.size ? `; runSimulation cannot check ${[...uncheckable].join(", ")}: the fast engine's verdict stands` : ""),
  );
  const findings = accounts.reduce((n, a) => n + a.findings.length, 0);
  return {
    ok: findings === 0 && problems.length === 0,
    cases: accounts.reduce((n, a) => n + a.cases, 0),
    findings,
    accounts,
    problems,
    notes,
    ms: performance.now() - t0,
  };
}

/** Org stack JSON with every guardrail SCP rewritten by `transform` (for deliberately broken variants). */
export function mapGuardrailPolicies(
  org: TerraformJson,
  transform: (name: string, policy: { Version: string; Statement: Record<string, any>[] }) => unknown, // eslint-disable-line @typescript-eslint/no-explicit-any
): TerraformJson {
  const copy = JSON.parse(JSON.stringify(org)) as TerraformJson;
  for (const p of Object.values((copy.resource?.aws_organizations_policy ?? {}) as Record<string, TerraformJson>)) {
    p.content = JSON.stringify(transform(p.name as string, JSON.parse(p.content as string)));
  }
  return copy;
}

export function formatFinding(f: GuardrailFinding): string {
  const decisive = f.decisive.length ? ` [${f.decisive.join(", ")}]` : "";
  const verb = f.kind === "HOLE" ? "can" : "cannot";
  return (
    `${f.kind} ${f.environment} (${f.accountId}): ${f.principal} (${f.principalLabel}) ${verb} ${f.what} — ` +
    `${f.action} ${f.resource}: expected ${f.expected}, got ${f.got}${decisive}`
  );
}

export function formatGuardrailReport(report: GuardrailReport, maxFindings = 50): string {
  const lines: string[] = [];
  const rows = [
    ["proxy account", "environment", "account", "guardrail SCPs (OU / account)", "principals", "probes", "cases", "findings", "time"],
    ...report.accounts.map((a) => [
      a.accountId,
      a.environment,
      a.adopted ? "adopted" : "created",
      `${a.ouPolicies.length ? a.ouPolicies.join(",") : "-"} / ${a.accountPolicies.length ? a.accountPolicies.join(",") : "-"}`,
      String(a.principals),
      String(a.probes),
      String(a.cases),
      String(a.findings.length),
      `${(a.ms / 1000).toFixed(2)} s`,
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) lines.push(r.map((c, i) => (i < 4 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ").trimEnd());
  for (const a of report.accounts) {
    if (!a.findings.length) continue;
    lines.push("");
    for (const f of a.findings.slice(0, maxFindings)) lines.push(formatFinding(f));
    if (a.findings.length > maxFindings) lines.push(`… and ${a.findings.length - maxFindings} more in ${a.environment}`);
  }
  if (report.notes.length) {
    lines.push("");
    for (const n of report.notes) lines.push(`note: ${n}`);
  }
  for (const p of report.problems) lines.push(`PROBLEM ${p}`);
  lines.push(
    `${report.ok ? "OK" : "FAILED"}: ${report.cases} cases over ${report.accounts.length} proxy account(s), ` +
      `${report.findings} hole(s)/lockout(s), ${report.problems.length} problem(s) in ${(report.ms / 1000).toFixed(2)} s`,
  );
  return lines.join("\n");
}
