/**
 * `farcar diagram`: one picture per environment of who can reach what, drawn from the resolved
 * fleet (the same data the stacks are built from):
 *   ingress: acquisition roles → execute-api endpoint → API paths → Farcars (SPIFFE ID) → mesh targets
 *   egress:  parent roles → egress endpoint → API paths → egress Farcars → acquisition upstreams
 * as Graphviz DOT, rendered to SVG in-process by @viz-js/viz (Graphviz compiled to WebAssembly,
 * shipped inside the npm package: no network and no `dot` binary at run time).
 */
import { instance } from "@viz-js/viz";
import type { Fleet, FleetEnvironment } from "../config/fleet";

/** File name of an environment's diagram, also used inside a module directory. */
export function diagramFile(env: FleetEnvironment): string {
  return `${env.key}.svg`;
}

function q(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** Short name of a role ARN for edge labels: `checkout-staging` for `arn:aws:iam::1:role/checkout-staging`. */
function roleName(arn: string): string {
  return arn.slice(arn.lastIndexOf("/") + 1);
}

/** A multi-line DOT label (`\n` centres each line). */
function label(...lines: string[]): string {
  return `"${lines.map((l) => l.replace(/\\/g, "\\\\").replace(/"/g, '\\"')).join("\\n")}"`;
}

/** DOT for one environment: an ingress cluster and, when the environment has outbound services, an egress cluster. */
export function environmentDot(fleet: Fleet, env: FleetEnvironment): string {
  const out: string[] = [
    `digraph ${q(env.key)} {`,
    `  graph [rankdir=LR, fontname="Helvetica", fontsize=12, labelloc=t, label=${label(`Farcar ${env.acquisition}/${env.environment}`, `region ${env.region}; trust domain ${fleet.mesh.trustDomain}`)}];`,
    `  node [fontname="Helvetica", fontsize=10, shape=box, style="rounded,filled", fillcolor="#ffffff"];`,
    `  edge [fontname="Helvetica", fontsize=9];`,
  ];
  const acct = env.proxyAccount.id ?? `new account ${env.proxyAccount.email}`;
  // ---- ingress
  out.push(`  subgraph cluster_ingress {`, `    label=${label(`ingress: acquisition → mesh (proxy ${acct})`)}; style=dashed;`);
  const roles = new Set(env.inbound.flatMap((s) => s.roleArns));
  for (const r of roles) out.push(`    ${q(`in-role:${r}`)} [label=${label("acquisition role", r)}, fillcolor="#fff4d6"];`);
  out.push(`    "in-endpoint" [label=${label("execute-api VPC endpoint", `acquisition VPC ${env.network.acquisitionVpcCidr}`)}, shape=cds, fillcolor="#e8f0fe"];`);
  for (const r of roles) out.push(`    ${q(`in-role:${r}`)} -> "in-endpoint" [label="SigV4"];`);
  const targets = new Set<string>();
  for (const svc of env.inbound) {
    out.push(`    ${q(`in-farcar:${svc.name}`)} [label=${label(`Farcar ${svc.name} (Envoy)`, svc.spiffeId)}, fillcolor="#e6f4ea"];`);
    for (const t of svc.targets) {
      const p = `/${svc.name}/${t.name}`;
      out.push(`    ${q(`in-path:${p}`)} [label=${label(`${p}/…`, svc.methods.length >= 7 ? "any method" : svc.methods.join(" "))}, shape=note];`);
      out.push(`    "in-endpoint" -> ${q(`in-path:${p}`)} [label=${label(...svc.roleArns.map(roleName))}];`);
      out.push(`    ${q(`in-path:${p}`)} -> ${q(`in-farcar:${svc.name}`)};`);
      out.push(`    ${q(`in-farcar:${svc.name}`)} -> ${q(`mesh:${t.name}`)} [label="mTLS"];`);
      targets.add(t.name);
    }
  }
  for (const t of [...targets].sort()) {
    const m = fleet.mesh.services[t];
    out.push(`    ${q(`mesh:${t}`)} [label=${label(`mesh service ${t}`, m.address, m.spiffeId)}, fillcolor="#fce8e6"];`);
  }
  out.push(`  }`);
  // ---- egress (the reverse direction)
  if (env.egress && env.outbound.length) {
    out.push(`  subgraph cluster_egress {`, `    label=${label(`egress: parent → acquisition (proxy ${env.egress.accountId})`)}; style=dashed;`);
    const callers = new Set(env.outbound.flatMap((s) => s.callerRoleArns));
    for (const r of callers) out.push(`    ${q(`out-role:${r}`)} [label=${label("parent role", r)}, fillcolor="#fce8e6"];`);
    out.push(`    "out-endpoint" [label=${label("execute-api VPC endpoint", `caller VPC ${env.egress.network.callerVpcCidr}`)}, shape=cds, fillcolor="#e8f0fe"];`);
    for (const r of callers) out.push(`    ${q(`out-role:${r}`)} -> "out-endpoint" [label="SigV4"];`);
    for (const svc of env.outbound) {
      const p = `/${svc.name}/`;
      out.push(`    ${q(`out-path:${p}`)} [label=${label(`${p}…`, svc.methods.length >= 7 ? "any method" : svc.methods.join(" "))}, shape=note];`);
      out.push(`    "out-endpoint" -> ${q(`out-path:${p}`)} [label=${label(...svc.callerRoleArns.map(roleName))}];`);
      out.push(`    ${q(`out-farcar:${svc.name}`)} [label=${label(`egress Farcar ${svc.name} (Envoy)`)}, fillcolor="#e6f4ea"];`);
      out.push(`    ${q(`out-path:${p}`)} -> ${q(`out-farcar:${svc.name}`)};`);
      out.push(`    ${q(`upstream:${svc.name}`)} [label=${label(`acquisition service ${svc.name}`, svc.upstream.url)}, fillcolor="#fff4d6"];`);
      out.push(`    ${q(`out-farcar:${svc.name}`)} -> ${q(`upstream:${svc.name}`)} [label=${q(svc.upstream.auth.kind)}];`);
    }
    out.push(`  }`);
  }
  out.push(`}`);
  return `${out.join("\n")}\n`;
}

/** Render DOT to SVG with Graphviz compiled to WebAssembly. */
export async function renderSvg(dots: readonly string[]): Promise<string[]> {
  const viz = await instance();
  return dots.map((dot) => {
    const r = viz.render(dot, { format: "svg" });
    if (r.status !== "success") throw new Error(`Graphviz could not render the diagram: ${r.errors.map((e) => e.message).join("; ")}`);
    return r.output;
  });
}

/** Every environment's diagram: file name → SVG. */
export async function fleetDiagrams(fleet: Fleet): Promise<Record<string, string>> {
  const svgs = await renderSvg(fleet.environments.map((e) => environmentDot(fleet, e)));
  return Object.fromEntries(fleet.environments.map((e, i) => [diagramFile(e), svgs[i]]));
}
