/**
 * `farcar diff`: what a fleet change does, offline — no registry, no AWS, no state. Both fleets are
 * synthesized in-process (verify/synth.ts synthesizeFleet, the same buildFleet as `cdktf synth`);
 * the result has two parts:
 * - access, in words, from the resolved fleets: which role may now / no longer call which path,
 *   with which methods; which SPIFFE identities appear, disappear or change; which mesh targets
 *   move; which parent roles may call which acquisition service (egress);
 * - resources per stack, from the synthesized Terraform JSON: added / changed (with the changed
 *   arguments) / removed, and which IAM, resource, endpoint and SCP policies change.
 * It is a preview of intent, not a plan: values known only at apply time (account IDs of accounts
 * the org stack creates, ARNs) are compared as the Terraform expressions they are.
 */
import type { Fleet, FleetEnvironment } from "../config/fleet";
import type { TerraformJson } from "../verify";

export type Change = "added" | "removed" | "changed";

export interface ResourceChange {
  readonly address: string;
  readonly change: Change;
  /** Changed top-level arguments (changed resources only). */
  readonly arguments?: readonly string[];
}

export interface StackDiff {
  readonly stack: string;
  /** The whole stack appears or disappears. */
  readonly change?: "added" | "removed";
  readonly resources: readonly ResourceChange[];
  readonly outputs: readonly ResourceChange[];
}

export interface AccessChange {
  /** Environment key (`afterpay-staging`) or "fleet". */
  readonly scope: string;
  readonly sign: "+" | "-" | "~";
  readonly text: string;
}

export interface FleetDiff {
  readonly before: string;
  readonly after: string;
  readonly access: readonly AccessChange[];
  readonly stacks: readonly StackDiff[];
}

/** Resource types whose change is a change of who may do what. */
const POLICY_TYPES: Record<string, string> = {
  aws_api_gateway_rest_api_policy: "API resource policy",
  aws_iam_policy: "IAM policy",
  aws_iam_role_policy: "IAM role policy",
  aws_iam_role: "IAM role (trust policy)",
  aws_vpc_endpoint_policy: "VPC endpoint policy",
  aws_organizations_policy: "service control policy",
  aws_organizations_policy_attachment: "SCP attachment",
  aws_acmpca_permission: "Private CA permission",
  aws_acmpca_policy: "Private CA resource policy",
  aws_secretsmanager_secret_policy: "secret resource policy",
};

export function diffFleets(
  before: { fleet: Fleet; name: string; stacks: Record<string, TerraformJson> },
  after: { fleet: Fleet; name: string; stacks: Record<string, TerraformJson> },
): FleetDiff {
  return {
    before: before.name,
    after: after.name,
    access: [...accessChanges(before.fleet, after.fleet), ...callerPolicyChanges(before.stacks, after.stacks)],
    stacks: stackDiffs(before.stacks, after.stacks),
  };
}

/**
 * The identity policy each caller role needs in its own account (output caller_identity_policies,
 * per service) is the part of a change the other side must apply: cross-account IAM auth needs an
 * Allow on both sides, so a grant does not work until they do.
 */
export function callerPolicyChanges(before: Record<string, TerraformJson>, after: Record<string, TerraformJson>): AccessChange[] {
  const out: AccessChange[] = [];
  const policies = (json?: TerraformJson) =>
    ((json as { output?: Record<string, { value?: Record<string, unknown> }> } | undefined)?.output?.caller_identity_policies?.value ?? {}) as Record<string, unknown>;
  for (const stack of Object.keys(after).sort()) {
    const b = policies(before[stack]);
    const a = policies(after[stack]);
    const scope = stack.replace(/-(ingress|egress)$/, "");
    const side = stack.endsWith("-egress") ? "the parent's caller roles" : "the acquisition";
    for (const svc of Object.keys(a).sort())
      if (stable(b[svc]) !== stable(a[svc]))
        out.push({ scope, sign: "~", text: `${side} must apply the new identity policy of ${svc} (output caller_identity_policies.${svc} of ${stack}) to its roles before the change works for them` });
  }
  return out;
}

// ---------------------------------------------------------------- access, in words

interface Grant {
  readonly key: string;
  readonly role: string;
  readonly path: string;
  readonly methods: readonly string[];
}

function inboundGrants(env: FleetEnvironment): Map<string, Grant> {
  const out = new Map<string, Grant>();
  for (const svc of env.inbound)
    for (const role of svc.roleArns)
      for (const t of svc.targets) {
        const p = `/${svc.name}/${t.name}`;
        out.set(`${role} ${p}`, { key: `${role} ${p}`, role, path: p, methods: [...svc.methods].sort() });
      }
  return out;
}

function outboundGrants(env: FleetEnvironment): Map<string, Grant> {
  const out = new Map<string, Grant>();
  for (const svc of env.outbound)
    for (const role of svc.callerRoleArns) {
      const p = `/${svc.name}/`;
      out.set(`${role} ${p}`, { key: `${role} ${p}`, role, path: p, methods: [...svc.methods].sort() });
    }
  return out;
}

const ALL_METHODS = 7;
function methodsText(methods: readonly string[]): string {
  return methods.length >= ALL_METHODS ? "any method" : methods.join(", ");
}

function grantChanges(scope: string, before: Map<string, Grant>, after: Map<string, Grant>, via: string): AccessChange[] {
  const out: AccessChange[] = [];
  for (const [k, g] of after) {
    const old = before.get(k);
    if (!old) out.push({ scope, sign: "+", text: `role ${g.role} may now call ${g.path} (${methodsText(g.methods)}) ${via}` });
    else {
      const added = g.methods.filter((m) => !old.methods.includes(m));
      const removed = old.methods.filter((m) => !g.methods.includes(m));
      if (added.length) out.push({ scope, sign: "+", text: `role ${g.role} may now use ${added.join(", ")} on ${g.path} ${via}` });
      if (removed.length) out.push({ scope, sign: "-", text: `role ${g.role} may no longer use ${removed.join(", ")} on ${g.path} ${via}` });
    }
  }
  for (const [k, g] of before) if (!after.has(k)) out.push({ scope, sign: "-", text: `role ${g.role} may no longer call ${g.path} ${via}` });
  return out;
}

export function accessChanges(before: Fleet, after: Fleet): AccessChange[] {
  const out: AccessChange[] = [];
  const envs = (f: Fleet) => new Map(f.environments.map((e) => [e.key, e]));
  const b = envs(before);
  const a = envs(after);
  for (const key of [...new Set([...b.keys(), ...a.keys()])].sort()) {
    const eb = b.get(key);
    const ea = a.get(key);
    if (!eb) out.push({ scope: key, sign: "+", text: `new environment ${ea!.acquisition}/${ea!.environment} (stack ${key}-ingress${ea!.egress ? `, ${key}-egress` : ""})` });
    if (!ea) out.push({ scope: key, sign: "-", text: `environment ${eb!.acquisition}/${eb!.environment} removed: its stacks are destroyed on apply` });
    const none = new Map<string, Grant>();
    out.push(...grantChanges(key, eb ? inboundGrants(eb) : none, ea ? inboundGrants(ea) : none, "into the mesh"));
    out.push(...grantChanges(key, eb ? outboundGrants(eb) : none, ea ? outboundGrants(ea) : none, "into the acquisition (egress)"));
    // Identities: the SPIFFE ID each Farcar presents in the mesh.
    const ids = (e?: FleetEnvironment) => new Map((e?.inbound ?? []).map((s) => [s.name, s.spiffeId]));
    const ib = ids(eb);
    const ia = ids(ea);
    for (const [svc, id] of ia) {
      if (!ib.has(svc)) out.push({ scope: key, sign: "+", text: `Farcar ${svc} enters the mesh as ${id}` });
      else if (ib.get(svc) !== id) out.push({ scope: key, sign: "~", text: `Farcar ${svc} changes identity: ${ib.get(svc)} → ${id}` });
    }
    for (const [svc, id] of ib) if (!ia.has(svc)) out.push({ scope: key, sign: "-", text: `identity ${id} (Farcar ${svc}) is no longer issued` });
    if (eb && ea) {
      for (const svc of ea.outbound) {
        const old = eb.outbound.find((s) => s.name === svc.name);
        if (old && (old.upstream.url !== svc.upstream.url || old.upstream.auth.kind !== svc.upstream.auth.kind))
          out.push({ scope: key, sign: "~", text: `egress ${svc.name} now goes to ${svc.upstream.url} (${svc.upstream.auth.kind}; was ${old.upstream.url}, ${old.upstream.auth.kind})` });
      }
      if (eb.proxyAccount.id !== ea.proxyAccount.id || eb.proxyAccount.email !== ea.proxyAccount.email)
        out.push({ scope: key, sign: "~", text: `proxy account changes: ${accountText(eb)} → ${accountText(ea)}` });
    }
  }
  // Mesh targets the fleet calls.
  const tb = before.mesh.services;
  const ta = after.mesh.services;
  for (const name of Object.keys(ta).sort()) {
    const o = tb[name];
    const n = ta[name];
    if (!o) out.push({ scope: "fleet", sign: "+", text: `mesh target ${name} (${n.spiffeId} at ${n.address})` });
    else {
      if (o.address !== n.address) out.push({ scope: "fleet", sign: "~", text: `mesh target ${name} moves: ${o.address} → ${n.address}` });
      if (o.spiffeId !== n.spiffeId) out.push({ scope: "fleet", sign: "~", text: `mesh target ${name} is verified as ${n.spiffeId} (was ${o.spiffeId})` });
    }
  }
  for (const name of Object.keys(tb).sort()) if (!ta[name]) out.push({ scope: "fleet", sign: "-", text: `mesh target ${name} removed` });
  if (before.mesh.trustBundlePem !== after.mesh.trustBundlePem) out.push({ scope: "fleet", sign: "~", text: "the mesh trust bundle (CA certificates the Farcars trust) changes" });
  if (before.mesh.trustDomain !== after.mesh.trustDomain) out.push({ scope: "fleet", sign: "~", text: `trust domain ${before.mesh.trustDomain} → ${after.mesh.trustDomain}` });
  return out;
}

function accountText(e: FleetEnvironment): string {
  return e.proxyAccount.id ? `account ${e.proxyAccount.id}` : `new account ${e.proxyAccount.email}`;
}

// ---------------------------------------------------------------- resources per stack

function resources(json: TerraformJson | undefined): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const byType = ((json as { resource?: Record<string, Record<string, unknown>> } | undefined)?.resource ?? {}) as Record<string, Record<string, unknown>>;
  for (const [type, byName] of Object.entries(byType)) for (const [name, body] of Object.entries(byName)) out.set(`${type}.${name}`, body);
  return out;
}

function outputs(json: TerraformJson | undefined): Map<string, unknown> {
  const o = ((json as { output?: Record<string, unknown> } | undefined)?.output ?? {}) as Record<string, unknown>;
  return new Map(Object.entries(o));
}

/** cdktf's `//` metadata (construct paths) is not configuration. */
function stable(v: unknown): string {
  return JSON.stringify(v, (k, val) => (k === "//" ? undefined : val));
}

function compare(before: Map<string, unknown>, after: Map<string, unknown>): ResourceChange[] {
  const out: ResourceChange[] = [];
  for (const [addr, body] of after) {
    if (!before.has(addr)) out.push({ address: addr, change: "added" });
    else if (stable(before.get(addr)) !== stable(body)) {
      const o = (before.get(addr) ?? {}) as Record<string, unknown>;
      const n = (body ?? {}) as Record<string, unknown>;
      const args = [...new Set([...Object.keys(o), ...Object.keys(n)])].filter((k) => k !== "//" && stable(o[k]) !== stable(n[k])).sort();
      out.push({ address: addr, change: "changed", arguments: args });
    }
  }
  for (const addr of before.keys()) if (!after.has(addr)) out.push({ address: addr, change: "removed" });
  return out.sort((x, y) => x.address.localeCompare(y.address));
}

export function stackDiffs(before: Record<string, TerraformJson>, after: Record<string, TerraformJson>): StackDiff[] {
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const out: StackDiff[] = [];
  for (const stack of names) {
    const diff: StackDiff = {
      stack,
      change: !before[stack] ? "added" : !after[stack] ? "removed" : undefined,
      resources: compare(resources(before[stack]), resources(after[stack])),
      outputs: compare(outputs(before[stack]), outputs(after[stack])),
    };
    if (diff.change || diff.resources.length || diff.outputs.length) out.push(diff);
  }
  return out;
}

/** Policy resources among the changes, in words: "API resource policy aws_api_gateway_rest_api_policy.x changed". */
export function policyChanges(d: StackDiff): string[] {
  return d.resources
    .filter((r) => POLICY_TYPES[r.address.split(".")[0]])
    .map((r) => `${POLICY_TYPES[r.address.split(".")[0]]} ${r.address} ${r.change}${r.arguments?.length ? ` (${r.arguments.join(", ")})` : ""}`);
}

function counts(d: StackDiff): { added: number; changed: number; removed: number } {
  const c = { added: 0, changed: 0, removed: 0 };
  for (const r of d.resources) c[r.change]++;
  return c;
}

// ---------------------------------------------------------------- rendering

const SIGN: Record<Change, string> = { added: "+", removed: "-", changed: "~" };

export interface RenderOptions {
  /** ANSI colours (terminal output to a TTY). */
  readonly color?: boolean;
}

export function renderText(d: FleetDiff, opts: RenderOptions = {}): string {
  const paint = (sign: string, s: string) =>
    !opts.color ? s : sign === "+" ? `\x1b[32m${s}\x1b[39m` : sign === "-" ? `\x1b[31m${s}\x1b[39m` : `\x1b[33m${s}\x1b[39m`;
  const lines = [`farcar diff: ${d.before} → ${d.after}`, ""];
  if (!d.access.length && !d.stacks.length) return `${lines[0]}\nNo changes: both fleets synthesize to the same Terraform.\n`;
  lines.push("Access");
  if (!d.access.length) lines.push("  no change to who may call what");
  for (const scope of [...new Set(d.access.map((a) => a.scope))]) {
    lines.push(`  ${scope}`);
    for (const a of d.access.filter((x) => x.scope === scope)) lines.push(paint(a.sign, `    ${a.sign} ${a.text}`));
  }
  lines.push("", "Stacks");
  for (const s of d.stacks) {
    const c = counts(s);
    lines.push(`  ${s.stack}${s.change ? ` (stack ${s.change})` : ""}: ${c.added} to add, ${c.changed} to change, ${c.removed} to remove`);
    const policies = policyChanges(s);
    for (const p of policies) lines.push(`    policy: ${p}`);
    for (const r of s.resources)
      lines.push(paint(SIGN[r.change], `    ${SIGN[r.change]} ${r.address}${r.arguments?.length ? `  (${r.arguments.join(", ")})` : ""}`));
    for (const o of s.outputs) lines.push(paint(SIGN[o.change], `    ${SIGN[o.change]} output ${o.address}`));
  }
  return `${lines.join("\n")}\n`;
}

function mdCode(s: string): string {
  return `\`${s.replace(/`/g, "'")}\``;
}

/** Markdown for a pull-request comment: access first, then a table and collapsible details per stack. */
export function renderMarkdown(d: FleetDiff): string {
  const out = [`### Farcar diff: ${mdCode(d.before)} → ${mdCode(d.after)}`, ""];
  if (!d.access.length && !d.stacks.length) return `${out.join("\n")}No changes: both fleets synthesize to the same Terraform.\n`;
  out.push("#### Access", "");
  if (!d.access.length) out.push("No change to who may call what.", "");
  for (const scope of [...new Set(d.access.map((a) => a.scope))]) {
    out.push(`**${scope}**`, "");
    for (const a of d.access.filter((x) => x.scope === scope)) {
      const icon = a.sign === "+" ? "➕" : a.sign === "-" ? "➖" : "✏️";
      out.push(`- ${icon} ${a.text.replace(/(arn:aws:[^\s,)]+|spiffe:\/\/[^\s,)]+|\/[a-z0-9-]+\/[a-z0-9-]*\/?)/g, (m) => mdCode(m))}`);
    }
    out.push("");
  }
  out.push("#### Stacks", "", "| stack | add | change | remove | policies changed |", "|---|---:|---:|---:|---:|");
  for (const s of d.stacks) {
    const c = counts(s);
    out.push(`| ${mdCode(s.stack)}${s.change ? ` (${s.change})` : ""} | ${c.added} | ${c.changed} | ${c.removed} | ${policyChanges(s).length} |`);
  }
  out.push("");
  for (const s of d.stacks) {
    out.push(`<details><summary>${s.stack}: ${s.resources.length} resource and ${s.outputs.length} output changes</summary>`, "");
    for (const p of policyChanges(s)) out.push(`- policy: ${p}`);
    for (const r of s.resources) out.push(`- ${SIGN[r.change]} ${mdCode(r.address)}${r.arguments?.length ? ` (${r.arguments.map(mdCode).join(", ")})` : ""}`);
    for (const o of s.outputs) out.push(`- ${SIGN[o.change]} output ${mdCode(o.address)}`);
    out.push("", "</details>", "");
  }
  return `${out.join("\n")}\n`;
}
