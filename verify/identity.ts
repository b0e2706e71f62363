/**
 * The identity proof (part of `npm run verify`; help/identity.md, help/security.md): for every IAM
 * role a stack creates and every SPIFFE ID in the fleet, can that role obtain a certificate (or an
 * SVID secret) carrying that ID? Expected: exactly Farcar X's task role for X's ID, nothing else.
 * Each ingress stack is judged against its own roles and the roles of every other stack deployed
 * to the same account (an egress stack may share the proxy account; within an account an identity
 * policy alone grants). Roles of other accounts cannot reach the issuer or the CA: neither has a
 * resource policy that grants them.
 *
 * How a role obtains an ID, evaluated from the synthesized Terraform (what will be deployed):
 *   - privateCa: invoke an alias of the environment issuer — the ID is the issuer's own mapping
 *     (issuer/identity.ts `identityOfCaller`, the code the Lambda runs) applied to the alias's ARN;
 *     or call acm-pca:IssueCertificate on the environment CA with the APIPassthrough template
 *     directly — that yields ANY ID (the caller writes the SAN), so only the issuer's own role may.
 *   - secretsManager: GetSecretValue on the secret a task definition reads its SVID from (identity
 *     policy and the secret's resource policy).
 * Who may rewrite the issuer (code, configuration, aliases, its role, the CA) is checked too: such
 * a role could obtain every ID.
 *
 * Every decision is made by @cloud-copilot/iam-simulate on the role's policies as synthesized
 * (references resolved to consistent fake ARNs). An attached AWS-managed policy must be in
 * AWS_MANAGED_POLICIES or the proof reports a problem (it never assumes a policy is harmless).
 */
import { runUnsafeSimulation, type Simulation } from "@cloud-copilot/iam-simulate";
import type { Fleet } from "../config/fleet";
import { accountIdOutputName, partitionOf, shortHash } from "../config/names";
import { identityOfCaller, ISSUER_ENV } from "../issuer/identity";
import { standInAccounts } from "./isolation";
import { prepareIdentityPolicy, prepareResourcePolicy, roleSessionArn, type PreparedPolicy } from "./simulator";
import { parseResourceReference, type TerraformJson } from "./terraform-refs";

/**
 * AWS-managed policies the stacks attach, with the actions they grant (from each policy's
 * published document in the AWS Managed Policy Reference). None grants lambda, acm-pca, IAM or
 * Secrets Manager access; the proof still evaluates them rather than skipping them.
 */
export const AWS_MANAGED_POLICIES: Record<string, object> = {
  // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonAPIGatewayPushToCloudWatchLogs.html
  AmazonAPIGatewayPushToCloudWatchLogs: {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogGroups", "logs:DescribeLogStreams", "logs:PutLogEvents", "logs:GetLogEvents", "logs:FilterLogEvents"],
        Resource: "*",
      },
    ],
  },
};

/** Actions that would let a role rewrite what the issuer does (and so obtain any ID). */
export const ISSUER_TAKEOVER_ACTIONS = [
  "lambda:UpdateFunctionCode",
  "lambda:UpdateFunctionConfiguration",
  "lambda:UpdateAlias",
  "lambda:CreateAlias",
  "lambda:DeleteAlias",
  "lambda:PublishVersion",
  "lambda:AddPermission",
  "lambda:PutFunctionConcurrency",
] as const;

const ROLE_TAKEOVER_ACTIONS = ["iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:PassRole"] as const;
const CA_TAKEOVER_ACTIONS = ["acm-pca:PutPolicy", "acm-pca:ImportCertificateAuthorityCertificate", "acm-pca:UpdateCertificateAuthority"] as const;

export interface IdentityStackReport {
  readonly stack: string;
  readonly roles: number;
  readonly spiffeIds: number;
  readonly cases: number;
  /** A role obtains an ID it must not (or could take the issuer over): each names role, ID and how. */
  readonly holes: string[];
  /** A Farcar's task role cannot obtain its own ID. */
  readonly missing: string[];
}

export interface IdentityReport {
  readonly ok: boolean;
  readonly stacks: IdentityStackReport[];
  readonly problems: string[];
  readonly cases: number;
}

interface Role {
  readonly id: string;
  readonly name: string;
  readonly arn: string;
  readonly policies: PreparedPolicy[];
}

/** Everything of one ingress stack the proof needs, references resolved. */
interface StackModel {
  readonly stack: string;
  readonly account: string;
  readonly roles: Role[];
  readonly issuer?: { functionName: string; functionArn: string; roleId?: string; spiffeIdTemplate: string; aliasArns: string[] };
  readonly caArn?: string;
  readonly templateArn?: string;
  /** Expected owner per SPIFFE ID: the task role of the task definition whose sidecar presents it. */
  readonly owners: Map<string, { roleId: string; via: "privateCa" | "secretsManager"; secretArn?: string; secretPolicy?: PreparedPolicy }>;
}

/** Run the identity proof over the synthesized ingress stacks. Never throws for a bad policy. */
export function verifyIdentity(fleet: Fleet, synthesized: Readonly<Record<string, TerraformJson>>, options: { stacks?: readonly string[] } = {}): IdentityReport {
  const problems: string[] = [];
  const standIns = standInAccounts(fleet);
  const partition = partitionOf(fleet.region);
  const allIds = [
    ...fleet.environments.flatMap((e) => e.inbound.map((s) => s.spiffeId)),
    ...Object.values(fleet.mesh.services).map((s) => s.spiffeId),
  ].filter((v, i, a) => a.indexOf(v) === i);
  const reports: IdentityStackReport[] = [];
  let total = 0;
  const standInIds = new Map([...standIns].map(([k, v]) => [k, v.accountId]));
  const ctxOf = (account: string, region: string) => ({ partition, region, account, standIns: standInIds });
  // Every role of every proxy stack, by account: a role of another stack in the same account (an
  // egress stack sharing the proxy account) is judged too — within an account an identity policy
  // alone grants.
  const models: StackModel[] = [];
  for (const env of fleet.environments) {
    const ingressAccount = env.proxyAccount.id ?? standIns.get(accountIdOutputName(env.acquisition, env.environment))?.accountId ?? "000000000000";
    const egressAccount = env.egress?.accountId ?? env.egressProxyAccountId;
    const egressTf = synthesized[`${env.key}-egress`];
    if (egressTf && egressAccount) models.push(describeStack(`${env.key}-egress`, egressTf, ctxOf(egressAccount, env.region), problems));
    const stack = `${env.key}-ingress`;
    const tf = synthesized[stack];
    if (tf) models.push(describeStack(stack, tf, ctxOf(ingressAccount, env.region), problems));
    else if (env.inbound.length && (!options.stacks || options.stacks.includes(stack))) {
      problems.push(`${stack}: not synthesized; its ${env.inbound.length} inbound service(s) have no identity to verify`);
    }
  }
  for (const env of fleet.environments) {
    const stack = `${env.key}-ingress`;
    if (options.stacks && !options.stacks.includes(stack)) continue;
    const model = models.find((m) => m.stack === stack);
    if (!model) continue;
    const neighbours = models
      .filter((m) => m.stack !== stack && m.account === model.account)
      .flatMap((m) => m.roles.map((r) => ({ ...r, id: `${m.stack}/${r.id}`, name: `${m.stack}/${r.name}` })));
    const report = proveStack({ ...model, roles: [...model.roles, ...neighbours] }, allIds, partition);
    total += report.cases;
    for (const svc of env.inbound) {
      if (!model.owners.has(svc.spiffeId)) problems.push(`${stack}: no task definition presents ${svc.spiffeId} (inbound service ${svc.name})`);
    }
    reports.push(report);
  }
  const ok = problems.length === 0 && reports.every((r) => r.holes.length === 0 && r.missing.length === 0);
  return { ok, stacks: reports, problems, cases: total };
}

/** Text report (appended to the isolation proof's). */
export function formatIdentityReport(report: IdentityReport): string {
  const lines = ["identity proof: who can obtain which SPIFFE ID (every role the stacks create × every SPIFFE ID in the fleet)"];
  for (const s of report.stacks) {
    const verdict = s.holes.length || s.missing.length ? "FAIL" : "ok";
    lines.push(`  ${verdict}  ${s.stack}: ${s.roles} roles × ${s.spiffeIds} SPIFFE IDs, ${s.cases} cases`);
    for (const h of s.holes) lines.push(`        HOLE    ${h}`);
    for (const m of s.missing) lines.push(`        MISSING ${m}`);
  }
  for (const p of report.problems) lines.push(`  PROBLEM ${p}`);
  lines.push(report.ok ? "identity proof: OK — each Farcar's task role obtains its own SPIFFE ID and no other; no other role obtains any" : "identity proof: FAILED");
  return lines.join("\n");
}

function proveStack(model: StackModel, allIds: readonly string[], partition: string): IdentityStackReport {
  const holes: string[] = [];
  const missing: string[] = [];
  let cases = 0;
  const allowed = (role: Role, action: string, resource: string, context: Record<string, string> = {}, resourcePolicy?: PreparedPolicy): boolean => {
    cases++;
    return decide(role, model.account, action, resource, context, resourcePolicy) === "Allowed";
  };
  const obtained = new Map<string, Map<string, string>>(); // roleId → id → how
  const grant = (role: Role, id: string, how: string) => {
    const m = obtained.get(role.id) ?? new Map<string, string>();
    if (!m.has(id)) m.set(id, how);
    obtained.set(role.id, m);
  };

  for (const role of model.roles) {
    if (model.issuer) {
      for (const aliasArn of model.issuer.aliasArns) {
        if (!allowed(role, "lambda:InvokeFunction", aliasArn)) continue;
        const caller = identityOfCaller(aliasArn, model.issuer);
        if ("spiffeId" in caller) grant(role, caller.spiffeId, `invokes issuer alias ${aliasArn.split(":").pop()}`);
      }
      // Beyond the aliases: the unqualified function, $LATEST, a version — the issuer refuses
      // them, but a grant on them is still a mistake worth naming.
      for (const arn of [model.issuer.functionArn, `${model.issuer.functionArn}:$LATEST`, `${model.issuer.functionArn}:1`]) {
        if (allowed(role, "lambda:InvokeFunction", arn) && role.id !== model.issuer.roleId) {
          holes.push(`${role.name} may invoke ${arn} (the issuer refuses it, but no role needs it: grant the Farcar's alias only)`);
        }
      }
      for (const action of ISSUER_TAKEOVER_ACTIONS) {
        for (const arn of [model.issuer.functionArn, ...model.issuer.aliasArns]) {
          if (allowed(role, action, arn)) {
            holes.push(`${role.name} can rewrite the issuer (${action} on ${arn}) and so obtain every SPIFFE ID`);
            break;
          }
        }
      }
      const issuerRole = model.roles.find((r) => r.id === model.issuer!.roleId);
      if (issuerRole) {
        for (const action of ROLE_TAKEOVER_ACTIONS) {
          if (allowed(role, action, issuerRole.arn)) holes.push(`${role.name} can ${action} on the issuer's role ${issuerRole.name} and so obtain every SPIFFE ID`);
        }
      }
    }
    if (model.caArn) {
      if (allowed(role, "acm-pca:IssueCertificate", model.caArn, { "acm-pca:TemplateArn": model.templateArn ?? `arn:${partition}:acm-pca:::template/EndEntityCertificate_APIPassthrough/V1` })) {
        if (role.id !== model.issuer?.roleId) {
          for (const id of allIds) grant(role, id, "calls acm-pca:IssueCertificate on the environment CA directly (it writes the SAN)");
        }
      }
      for (const action of CA_TAKEOVER_ACTIONS) {
        if (allowed(role, action, model.caArn)) holes.push(`${role.name} can ${action} on the environment CA`);
      }
    }
    for (const [id, owner] of model.owners) {
      if (owner.via === "secretsManager" && owner.secretArn && allowed(role, "secretsmanager:GetSecretValue", owner.secretArn, {}, owner.secretPolicy)) {
        grant(role, id, `reads the SVID secret ${owner.secretArn}`);
      }
    }
  }

  for (const role of model.roles) {
    for (const [id, how] of obtained.get(role.id) ?? []) {
      if (model.owners.get(id)?.roleId !== role.id) holes.push(`${role.name} can obtain ${id} (${how})`);
    }
  }
  for (const [id, owner] of model.owners) {
    const role = model.roles.find((r) => r.id === owner.roleId);
    if (!role) {
      missing.push(`${id}: its task role ${owner.roleId} is not a role of this stack`);
    } else if (!obtained.get(role.id)?.has(id)) {
      missing.push(`${role.name} cannot obtain its own ${id} (${owner.via})`);
    }
  }
  if (model.issuer && model.issuer.roleId === undefined) holes.push("the issuer function's role is not a role of this stack: who else may issue cannot be proven");
  return { stack: model.stack, roles: model.roles.length, spiffeIds: allIds.length, cases, holes, missing };
}

function decide(role: Role, account: string, action: string, resource: string, context: Record<string, string>, resourcePolicy?: PreparedPolicy): string {
  const simulation: Simulation = {
    request: {
      principal: roleSessionArn(role.arn),
      action,
      resource: { resource, accountId: account },
      contextVariables: { "aws:PrincipalArn": role.arn, "aws:PrincipalAccount": account, ...context },
    },
    identityPolicies: role.policies.map((p) => ({ name: p.name, policy: p.validated })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(resourcePolicy && { resourcePolicy: resourcePolicy.validated }),
  };
  return runUnsafeSimulation(simulation as never, {});
}

interface ResolveContext {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly standIns: ReadonlyMap<string, string>;
}

/** Reads roles, policies, the issuer, the CA and the task definitions of one stack, references resolved. */
function describeStack(stack: string, tf: TerraformJson, ctx: ResolveContext, problems: string[]): StackModel {
  const res = (type: string): Record<string, TerraformJson> => (tf.resource?.[type] ?? {}) as Record<string, TerraformJson>;
  const arnPrefix = (service: string) => `arn:${ctx.partition}:${service}:${ctx.region}:${ctx.account}`;
  const fakeId = (text: string) => shortHash(`${stack}:${text}`, 8);
  const functions = res("aws_lambda_function");
  const aliases = res("aws_lambda_alias");
  const roles = res("aws_iam_role");
  const cas = res("aws_acmpca_certificate_authority");

  const resolveRef = (ref: string): string => {
    let m = /^aws_lambda_function\.([\w-]+)\.(arn|function_name|qualified_arn|version)$/.exec(ref);
    if (m && functions[m[1]]) {
      const name = String(functions[m[1]].function_name);
      return m[2] === "function_name" ? name : m[2] === "version" ? "1" : m[2] === "qualified_arn" ? `${arnPrefix("lambda")}:function:${name}:1` : `${arnPrefix("lambda")}:function:${name}`;
    }
    m = /^aws_lambda_alias\.([\w-]+)\.(arn|name)$/.exec(ref);
    if (m && aliases[m[1]]) {
      const alias = aliases[m[1]];
      return m[2] === "name" ? String(alias.name) : `${arnPrefix("lambda")}:function:${resolve(String(alias.function_name))}:${alias.name}`;
    }
    m = /^aws_iam_role\.([\w-]+)\.(arn|name|id)$/.exec(ref);
    if (m && roles[m[1]]) return m[2] === "arn" ? `arn:${ctx.partition}:iam::${ctx.account}:role/${roles[m[1]].name}` : String(roles[m[1]].name);
    m = /^aws_acmpca_certificate_authority\.([\w-]+)\.arn$/.exec(ref);
    if (m) return `${arnPrefix("acm-pca")}:certificate-authority/${fakeId(m[1])}-0000-4000-8000-000000000000`;
    m = /^aws_secretsmanager_secret\.([\w-]+)\.(arn|id)$/.exec(ref);
    if (m) return `${arnPrefix("secretsmanager")}:secret:${res("aws_secretsmanager_secret")[m[1]]?.name ?? m[1]}-${fakeId(m[1]).slice(0, 6)}`;
    m = /^data\.terraform_remote_state\.[\w-]+\.outputs\.(\w+)$/.exec(ref);
    if (m && ctx.standIns.has(m[1])) return ctx.standIns.get(m[1])!;
    // Anything else (log groups, repositories, …): a concrete ARN of its own that no question here names.
    return `arn:${ctx.partition}:farcar-verify:${ctx.region}:${ctx.account}:${ref}`;
  };
  const resolve = (text: string): string => text.replace(/\$\{([^}]*)\}/g, (_, inner: string) => resolveRef(inner.trim()));
  const resolveDeep = (v: unknown): unknown =>
    typeof v === "string" ? resolve(v) : Array.isArray(v) ? v.map(resolveDeep) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolveDeep(x)])) : v;

  const roleIdOf = (value: unknown): string | undefined => {
    const ref = parseResourceReference(value);
    return ref?.type === "aws_iam_role" ? ref.id : undefined;
  };
  const policiesByRole = new Map<string, PreparedPolicy[]>();
  const addPolicy = (roleId: string | undefined, name: string, doc: unknown, where: string) => {
    if (!roleId || !roles[roleId]) {
      problems.push(`${stack}: ${where} is attached to a role the proof cannot identify`);
      return;
    }
    const prepared = prepareIdentityPolicy(name, resolveDeep(doc));
    if (prepared.errors.length) problems.push(`${stack}: ${where}: ${prepared.errors.join("; ")}`);
    policiesByRole.set(roleId, [...(policiesByRole.get(roleId) ?? []), prepared]);
  };
  for (const [id, p] of Object.entries(res("aws_iam_role_policy"))) addPolicy(roleIdOf(p.role), id, JSON.parse(String(p.policy)), `aws_iam_role_policy.${id}`);
  for (const [id, a] of Object.entries(res("aws_iam_role_policy_attachment"))) {
    const managed = /^arn:aws[\w-]*:iam::aws:policy\/(?:.*\/)?([\w+=,.@-]+)$/.exec(String(a.policy_arn));
    const doc = managed ? AWS_MANAGED_POLICIES[managed[1]] : undefined;
    if (!doc) {
      problems.push(`${stack}: aws_iam_role_policy_attachment.${id} attaches ${a.policy_arn}, which the identity proof cannot evaluate (add its document to AWS_MANAGED_POLICIES)`);
      continue;
    }
    addPolicy(roleIdOf(a.role), id, doc, `aws_iam_role_policy_attachment.${id}`);
  }
  const roleList: Role[] = Object.entries(roles).map(([id, r]) => ({
    id,
    name: String(r.name),
    arn: `arn:${ctx.partition}:iam::${ctx.account}:role/${r.name}`,
    policies: policiesByRole.get(id) ?? [],
  }));

  // The issuer: the function whose environment names a CA and a SPIFFE ID template.
  let issuer: StackModel["issuer"];
  let caArn: string | undefined;
  let templateArn: string | undefined;
  const issuers = Object.entries(functions).filter(([, f]) => f.environment?.variables?.[ISSUER_ENV.spiffeIdTemplate] !== undefined);
  if (issuers.length > 1) problems.push(`${stack}: ${issuers.length} issuer functions; expected one per environment`);
  if (issuers[0]) {
    const [fid, f] = issuers[0];
    const vars = f.environment.variables as Record<string, string>;
    const functionName = String(f.function_name);
    caArn = resolve(vars[ISSUER_ENV.caArn]);
    templateArn = resolve(vars[ISSUER_ENV.templateArn]);
    issuer = {
      functionName,
      functionArn: `${arnPrefix("lambda")}:function:${functionName}`,
      roleId: roleIdOf(f.role),
      spiffeIdTemplate: vars[ISSUER_ENV.spiffeIdTemplate],
      aliasArns: Object.values(aliases)
        .filter((a) => parseResourceReference(a.function_name)?.id === fid)
        .map((a) => `${arnPrefix("lambda")}:function:${functionName}:${a.name}`),
    };
  } else if (Object.keys(cas).length) {
    caArn = resolveRef(`aws_acmpca_certificate_authority.${Object.keys(cas)[0]}.arn`);
  }

  // Expected owners: each task definition's sidecar says which ID it presents.
  const owners: StackModel["owners"] = new Map();
  const secretPolicies = new Map<string, PreparedPolicy>();
  for (const [id, p] of Object.entries(res("aws_secretsmanager_secret_policy"))) {
    const secretRef = parseResourceReference(p.secret_arn);
    if (secretRef) secretPolicies.set(resolveRef(`aws_secretsmanager_secret.${secretRef.id}.arn`), prepareResourcePolicy(id, resolveDeep(JSON.parse(String(p.policy)))));
  }
  for (const [id, td] of Object.entries(res("aws_ecs_task_definition"))) {
    const containers = JSON.parse(String(td.container_definitions)) as Array<{ environment?: Array<{ name: string; value: string }> }>;
    for (const c of containers) {
      const env = Object.fromEntries((c.environment ?? []).map((e) => [e.name, e.value]));
      const source = env.FARCAR_IDENTITY_SOURCE;
      if ((source !== "privateCa" && source !== "secretsManager") || !env.FARCAR_SPIFFE_ID) continue;
      const roleId = roleIdOf(td.task_role_arn);
      if (!roleId) {
        problems.push(`${stack}: aws_ecs_task_definition.${id} presents ${env.FARCAR_SPIFFE_ID} but its task role is not a role of this stack`);
        continue;
      }
      if (owners.has(env.FARCAR_SPIFFE_ID)) problems.push(`${stack}: two task definitions present ${env.FARCAR_SPIFFE_ID}`);
      const secretArn = source === "secretsManager" ? resolve(env.FARCAR_SECRET_ID ?? "") : undefined;
      owners.set(env.FARCAR_SPIFFE_ID, { roleId, via: source, secretArn, secretPolicy: secretArn ? secretPolicies.get(secretArn) : undefined });
    }
  }
  return { stack, account: ctx.account, roles: roleList, issuer, caArn, templateArn, owners };
}
