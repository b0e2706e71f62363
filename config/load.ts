/**
 * Reads a fleet file: YAML with line numbers → schema validation → cross-field checks →
 * the resolved Fleet. Every problem is collected and reported together in a FleetError; a caller
 * that gets a Fleet back knows the whole file is valid.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { Document, LineCounter, isMap, isScalar, isSeq, parseDocument, type Node, type YAMLError } from "yaml";
import type { z } from "zod";
import { crossFieldProblems } from "./checks";
import { dottedPath, FleetError, render, type FleetProblem } from "./errors";
import {
  DEFAULT_ACCESS_ROLE,
  DEFAULT_CERT_TTL_HOURS,
  DEFAULT_GUARDRAIL_EXEMPT_ROLES,
  DEFAULT_WORKSPACE_PREFIX,
  resolveFarcarSettings,
  type DnsAssociations,
  type Fleet,
  type FleetEnvironment,
  type UpstreamAuth,
} from "./fleet";
import { DEFAULT_SPIFFE_ID_TEMPLATE, farcarSpiffeId } from "./names";
import { fleetSchema, HTTP_METHODS, type FleetInput } from "./schema";

export const DEFAULT_FLEET_FILE = "examples/fleet.yaml";

/** A parsed YAML document that can say where a path is. */
export class SourceMap {
  constructor(
    readonly file: string,
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
  ) {}

  /** Line/column of the node at `segments` (its key when `key` is set), or of its nearest ancestor. */
  locate(segments: readonly PropertyKey[], key = false): { line: number; column: number; exact: boolean } {
    let node: Node | null | undefined = this.doc.contents as Node | null;
    let keyNode: Node | undefined;
    let best = node;
    let exact = true;
    for (const seg of segments) {
      keyNode = undefined;
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === seg);
        if (!pair) {
          exact = false;
          break;
        }
        keyNode = pair.key as Node;
        node = pair.value as Node | null;
        best = node ?? keyNode;
      } else if (isSeq(node) && typeof seg === "number" && node.items[seg]) {
        node = node.items[seg] as Node;
        best = node;
      } else {
        exact = false;
        break;
      }
    }
    const target = key && exact && keyNode ? keyNode : best;
    const offset = target?.range?.[0] ?? 0;
    const pos = this.lines.linePos(offset);
    return { line: pos.line, column: pos.col, exact };
  }

  position(node: Node): { line: number; column: number } {
    const pos = this.lines.linePos(node.range?.[0] ?? 0);
    return { line: pos.line, column: pos.col };
  }

  problem(segments: readonly PropertyKey[], message: string, opts: { received?: unknown; key?: boolean } = {}): FleetProblem {
    const at = this.locate(segments, opts.key);
    return {
      file: this.file,
      line: at.line,
      column: at.column,
      path: dottedPath(segments),
      message,
      received: opts.received === undefined ? undefined : render(opts.received),
    };
  }
}


/** Load, validate and resolve a fleet file. Throws FleetError listing every problem. */
export function loadFleet(file: string): Fleet {
  const displayName = path.relative(process.cwd(), path.resolve(file)) || file;
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new FleetError([
      { file: displayName, path: "", message: `fleet file not found; set FARCAR_CONFIG to a fleet YAML file (default ${DEFAULT_FLEET_FILE})` },
    ]);
  }
  return parseFleet(readFileSync(file, "utf8"), file, displayName);
}

/** Validate and resolve fleet YAML `text` read from `file` (relative paths resolve against it). */
export function parseFleet(text: string, file: string, displayName = file): Fleet {
  const lines = new LineCounter();
  // Duplicate keys are reported by duplicateKeys() with their YAML path, not by the parser.
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false });
  if (doc.errors.length) throw new FleetError([yamlSyntaxProblem(text, doc.errors, lines, displayName)]);

  const source = new SourceMap(displayName, doc, lines);
  const raw: unknown = doc.toJS();
  const problems: FleetProblem[] = duplicateKeys(doc.contents as Node | null, [], source);
  const parsed = fleetSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) problems.push(...parsed.error.issues.flatMap((i) => schemaProblem(source, raw, i)));
  problems.push(...crossFieldProblems(raw, source, path.dirname(path.resolve(file))));
  if (problems.length || !parsed.success) {
    throw new FleetError(dedupe(problems).sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0)));
  }
  return resolve(parsed.data, path.resolve(file));
}

/**
 * The first YAML syntax error, at the line that causes it, with the YAML path of the keys around
 * it and a hint. The parser reports where it noticed the fault, which for indentation errors and
 * unclosed `[`/`{` is often the line after the fault (or the end of the file), and the errors
 * after the first usually follow from it, so only the first is reported, and located again:
 * - an unclosed flow collection → the line where the unmatched `[` or `{` opened;
 * - an indentation error → the first line, up to the reported one, that is indented deeper than
 *   the line before although that line opens no block, or that dedents to a column no enclosing
 *   key uses.
 */
export function yamlSyntaxProblem(text: string, errors: readonly YAMLError[], lines: LineCounter, file: string): FleetProblem {
  const e = errors[0];
  const reported = lines.linePos(e.pos[0]);
  const first = e.message.split("\n")[0];
  const rows = text.split(/\r?\n/);
  const more = errors.length > 1 ? ` (${errors.length - 1} more YAML error${errors.length > 2 ? "s" : ""} after it usually follow from this one)` : "";
  let at = { line: reported.line, column: reported.col };
  let hint = "check the syntax on this line and the line before it";
  const flow = /flow (sequence|mapping)|end with a [\]}]/i.test(first);
  const indentation = e.code === "BAD_INDENT" || e.code === "TAB_AS_INDENT" || e.code === "MULTILINE_IMPLICIT_KEY" || /indent|same column|single line|compact mappings/i.test(first);
  if (e.code === "TAB_AS_INDENT") hint = "indent with spaces, not tabs";
  else if (flow) {
    const opened = unclosedFlow(rows, reported.line);
    if (opened) at = opened;
    hint = "close the list with ] (or the map with }) on the same line, or write it as an indented block";
  } else if (indentation) {
    const culprit = misindented(rows, reported.line);
    if (culprit) at = culprit;
    hint = "keys of one mapping must start in the same column; indent a nested block 2 spaces deeper than its parent key";
  }
  return { file, line: at.line, column: at.column, path: keyPathAt(rows, at.line), message: `invalid YAML: ${first}; ${hint}${more}` };
}

const content = (row: string) => row.trim() !== "" && !row.trim().startsWith("#");
const indentOf = (row: string) => row.length - row.trimStart().length;

/** The last `[` or `{` (outside quotes and comments) not closed before `upTo`. */
function unclosedFlow(rows: readonly string[], upTo: number): { line: number; column: number } | undefined {
  const stack: { line: number; column: number }[] = [];
  for (let i = 0; i < Math.min(upTo, rows.length); i++) {
    let quote = "";
    for (let j = 0; j < rows[i].length; j++) {
      const ch = rows[i][j];
      if (quote) {
        if (ch === quote) quote = "";
      } else if (ch === '"' || ch === "'") quote = ch;
      else if (ch === "#" && (j === 0 || /\s/.test(rows[i][j - 1]))) break;
      else if (ch === "[" || ch === "{") stack.push({ line: i + 1, column: j + 1 });
      else if ((ch === "]" || ch === "}") && stack.length) stack.pop();
    }
  }
  return stack[stack.length - 1];
}

/** The first line up to `upTo` whose indentation fits no enclosing block (see yamlSyntaxProblem). */
function misindented(rows: readonly string[], upTo: number): { line: number; column: number } | undefined {
  const open: number[] = [];
  let prev: string | undefined;
  for (let i = 0; i < Math.min(upTo, rows.length); i++) {
    const row = rows[i];
    if (!content(row)) continue;
    const indent = indentOf(row);
    if (prev !== undefined) {
      const prevIndent = indentOf(prev);
      const opens = /:\s*(#.*)?$|^\s*-\s*$|[|>][+-]?\s*$/.test(prev);
      if (indent > prevIndent && !opens && !/^\s*-/.test(row)) return { line: i + 1, column: indent + 1 };
      if (indent > prevIndent) open.push(prevIndent);
      while (open.length && indent <= open[open.length - 1] && indent !== prevIndent) {
        const top = open.pop()!;
        if (indent > top) return { line: i + 1, column: indent + 1 };
        if (indent === top) break;
      }
      if (indent < prevIndent && !open.includes(indent) && indent !== 0 && !rows.slice(0, i).some((r) => content(r) && indentOf(r) === indent))
        return { line: i + 1, column: indent + 1 };
    }
    prev = row;
  }
  return undefined;
}

/** Dotted path of the keys enclosing (and on) line `line`, found by indentation. */
function keyPathAt(rows: readonly string[], line: number): string {
  const keys: { indent: number; key: string }[] = [];
  for (let i = 0; i < Math.min(line, rows.length); i++) {
    const row = rows[i];
    if (!content(row)) continue;
    const m = /^(\s*)(?:-\s+)?([A-Za-z0-9_.-]+)\s*:/.exec(row);
    if (!m) continue;
    const indent = m[1].length;
    while (keys.length && keys[keys.length - 1].indent >= indent) keys.pop();
    keys.push({ indent, key: m[2] });
  }
  return keys.map((k) => k.key).join(".");
}

/** Every key that appears twice in one mapping, at its second occurrence. */
function duplicateKeys(node: Node | null, at: PropertyKey[], source: SourceMap): FleetProblem[] {
  const out: FleetProblem[] = [];
  if (isMap(node)) {
    const seen = new Set<unknown>();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      if (seen.has(key)) {
        const pos = source.position(pair.key as Node);
        out.push({
          file: source.file,
          ...pos,
          path: dottedPath([...at, key as PropertyKey]),
          message: `duplicate key "${String(key)}": every name in a map must be unique; rename or merge the two entries`,
        });
      }
      seen.add(key);
      out.push(...duplicateKeys(pair.value as Node | null, [...at, key as PropertyKey], source));
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => out.push(...duplicateKeys(item as Node, [...at, i], source)));
  }
  return out;
}

function dedupe(problems: FleetProblem[]): FleetProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}|${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function valueAt(raw: unknown, segments: readonly PropertyKey[]): unknown {
  let v: unknown = raw;
  for (const s of segments) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[s];
  }
  return v;
}

/** Turn one zod issue into problems that name the YAML path, the value and what is allowed. */
function schemaProblem(source: SourceMap, raw: unknown, issue: z.core.$ZodIssue): FleetProblem[] {
  const segments = issue.path as PropertyKey[];
  if (issue.code === "unrecognized_keys") {
    const allowed = allowedKeys(segments);
    return issue.keys.map((k) =>
      source.problem([...segments, k], `unknown field "${k}"${allowed ? `; allowed here: ${allowed.join(", ")}` : ""}`, { key: true }),
    );
  }
  if (issue.code === "invalid_key") {
    const key = segments[segments.length - 1];
    const inner = issue.issues[0]?.message ?? "invalid name";
    return [source.problem(segments, inner, { received: key, key: true })];
  }
  const value = valueAt(raw, segments);
  if (value === undefined) {
    const field = segments[segments.length - 1];
    return [source.problem(segments, `required field "${String(field)}" is missing${describeAt(segments)}`)];
  }
  let message = issue.message;
  if (issue.code === "invalid_type" && /^Invalid input/.test(message)) message = `expected ${issue.expected}`;
  if (issue.code === "invalid_union" && /^Invalid input/.test(message)) message = "value is not one of the allowed forms";
  return [source.problem(segments, message, { received: value })];
}

/** Walk the schema along `segments` to list the fields an object there accepts. */
function allowedKeys(segments: readonly PropertyKey[]): string[] | undefined {
  const shape = (schemaAt(segments).schema as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape ? Object.keys(shape) : undefined;
}

function describeAt(segments: readonly PropertyKey[]): string {
  const { description } = schemaAt(segments);
  return description ? ` — ${description}` : "";
}

/** The (unwrapped) schema at a path and the nearest description on the way in. */
function schemaAt(segments: readonly PropertyKey[]): { schema: unknown; description?: string } {
  let s: any = fleetSchema; // eslint-disable-line @typescript-eslint/no-explicit-any
  let description: string | undefined;
  const unwrap = () => {
    description ??= s?.description;
    while (s && (s._zod?.def?.type === "optional" || s._zod?.def?.type === "default")) {
      s = s._zod.def.innerType;
      description ??= s?.description;
    }
  };
  for (const seg of segments) {
    unwrap();
    description = undefined;
    const type = s?._zod?.def?.type;
    if (type === "object") s = s.shape[seg as string];
    else if (type === "record") s = s._zod.def.valueType;
    else if (type === "array") s = s._zod.def.element;
    else return { schema: undefined };
  }
  unwrap();
  return { schema: s, description };
}

function resolve(input: FleetInput, file: string): Fleet {
  const dir = path.dirname(file);
  const trustBundlePath = path.resolve(dir, input.mesh.trustBundle);
  const template = input.mesh.spiffeIdTemplate ?? DEFAULT_SPIFFE_ID_TEMPLATE;
  const environments: FleetEnvironment[] = [];
  for (const [acquisition, acq] of Object.entries(input.acquisitions)) {
    for (const [environment, env] of Object.entries(acq.environments)) {
      environments.push({
        acquisition,
        environment,
        key: `${acquisition}-${environment}`,
        region: env.region ?? input.region,
        proxyAccount: {
          id: env.proxyAccount.id,
          email: env.proxyAccount.email,
          name: env.proxyAccount.name ?? `farcar-${acquisition}-${environment}`,
        },
        egressProxyAccountId: env.egressProxyAccount?.id,
        egress:
          env.egressProxyAccount && Object.keys(env.outbound ?? {}).length
            ? {
                accountId: env.egressProxyAccount.id,
                accessRoleName: env.egressProxyAccount.accessRoleName ?? DEFAULT_ACCESS_ROLE,
                network: {
                  availabilityZones: env.network.availabilityZones,
                  proxyVpcCidr: env.egressNetwork?.proxyVpcCidr ?? env.network.proxyVpcCidr,
                  callerVpcCidr: env.egressNetwork?.callerVpcCidr ?? env.network.acquisitionVpcCidr,
                  callerCidrs: env.egressNetwork?.callerCidrs ?? [env.egressNetwork?.callerVpcCidr ?? env.network.acquisitionVpcCidr],
                  callerRouting: env.egressNetwork?.callerRouting,
                  upstreamRouting: env.egressNetwork?.upstreamRouting,
                  upstreamDns: resolveDns(env.egressNetwork?.upstreamDns),
                },
              }
            : undefined,
        network: {
          availabilityZones: env.network.availabilityZones,
          proxyVpcCidr: env.network.proxyVpcCidr,
          acquisitionVpcCidr: env.network.acquisitionVpcCidr,
          // Required with inbound services (config/checks.ts); the fallback only serves
          // environments without callers.
          acquisitionCallerCidrs: env.network.acquisitionCallerCidrs ?? [env.network.acquisitionVpcCidr],
          callerRouting: env.network.callerRouting,
        },
        identity: {
          source: env.identity?.source ?? "privateCa",
          acquisitionCaArn: env.identity?.acquisitionCaArn,
          acquisitionCaCertificatePem: env.identity?.acquisitionCaCertificate
            ? readFileSync(path.resolve(dir, env.identity.acquisitionCaCertificate), "utf8")
            : undefined,
          certificateTtlHours: env.identity?.certificateTtlHours ?? DEFAULT_CERT_TTL_HOURS,
          svidWriterArn: env.identity?.svidWriterArn,
        },
        farcar: resolveFarcarSettings(input.farcar, env.farcar),
        inbound: Object.entries(env.inbound ?? {}).map(([name, svc]) => ({
          name,
          roleArns: svc.roleArns,
          methods: svc.methods ?? HTTP_METHODS,
          spiffeId: farcarSpiffeId(template, { trustDomain: input.mesh.trustDomain, acquisition, environment, service: name }),
          targets: svc.targets.map((t) => {
            const target = input.mesh.services[t];
            const [host, port] = splitAddress(target.address);
            return { name: t, spiffeId: target.spiffeId, address: target.address, host, port };
          }),
        })),
        outbound: Object.entries(env.outbound ?? {}).map(([name, svc]) => ({
          name,
          callerRoleArns: svc.callerRoleArns,
          methods: svc.methods ?? HTTP_METHODS,
          upstream: { url: svc.upstream.url, auth: resolveAuth(svc.upstream.auth, dir) },
        })),
      });
    }
  }
  return {
    file,
    region: input.region,
    tags: input.tags ?? {},
    organization: {
      managementAccountId: input.organization.managementAccountId,
      proxyOrganizationalUnitId: input.organization.proxyOrganizationalUnitId,
      accountAccessRoleName: input.organization.accountAccessRoleName ?? DEFAULT_ACCESS_ROLE,
      guardrails: {
        breakGlassRoleName: input.organization.guardrails?.breakGlassRoleName,
        exemptRoleNames: input.organization.guardrails?.exemptRoleNames ?? DEFAULT_GUARDRAIL_EXEMPT_ROLES,
      },
    },
    mesh: {
      trustDomain: input.mesh.trustDomain,
      trustBundlePath,
      trustBundlePem: readFileSync(trustBundlePath, "utf8"),
      spiffeIdTemplate: template,
      routing: input.mesh.routing,
      dns: resolveDns(input.mesh.dns),
      services: input.mesh.services,
    },
    terraformCloud: input.terraformCloud && {
      organization: input.terraformCloud.organization,
      project: input.terraformCloud.project,
      workspacePrefix: input.terraformCloud.workspacePrefix ?? DEFAULT_WORKSPACE_PREFIX,
      hostname: input.terraformCloud.hostname ?? "app.terraform.io",
    },
    s3Backend: input.s3Backend && {
      bucket: input.s3Backend.bucket,
      region: input.s3Backend.region ?? input.region,
      keyPrefix: input.s3Backend.keyPrefix ?? "farcar/",
      dynamodbTable: input.s3Backend.dynamodbTable,
    },
    environments,
  };
}

function resolveAuth(auth: FleetInput["acquisitions"][string]["environments"][string]["outbound"] extends infer O
  ? O extends Record<string, { upstream: { auth: infer A } }> ? A : never
  : never, dir: string): UpstreamAuth {
  const pem = (file: string | undefined) => (file ? readFileSync(path.resolve(dir, file), "utf8") : undefined);
  if (auth.sigv4) {
    const { caBundle, ...sigv4 } = auth.sigv4;
    return { kind: "sigv4", ...sigv4, caBundlePem: pem(caBundle) };
  }
  if (auth.mtls) {
    const caBundlePath = path.resolve(dir, auth.mtls.caBundle);
    return { kind: "mtls", caBundlePath, caBundlePem: readFileSync(caBundlePath, "utf8"), serverSan: auth.mtls.serverSan };
  }
  return { kind: "header", name: auth.header!.name, caBundlePem: pem(auth.header!.caBundle) };
}

function resolveDns(dns: { resolverRuleIds?: string[]; hostedZoneIds?: string[] } | undefined): DnsAssociations | undefined {
  return dns && { resolverRuleIds: dns.resolverRuleIds ?? [], hostedZoneIds: dns.hostedZoneIds ?? [] };
}

export function splitAddress(address: string): [string, number] {
  const i = address.lastIndexOf(":");
  return [address.slice(0, i), Number(address.slice(i + 1))];
}
