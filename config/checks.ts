/**
 * Cross-field checks: what a schema alone cannot say. They run on the raw YAML data (defensively,
 * so they still report when other parts of the file are malformed) and return every problem.
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import ipaddr from "ipaddr.js";
import { X509Certificate } from "node:crypto";
import type { FleetProblem } from "./errors";
import { FARCAR_DEFAULTS } from "./fleet";
import type { SourceMap } from "./load";
import { DEFAULT_SPIFFE_ID_TEMPLATE, farcarSpiffeId, ISSUER_ROLE_PREFIX, partitionOf, RESERVED_ACQUISITION_NAMES, stackName } from "./names";
import { DNS_LABEL, REGION } from "./schema";

/**
 * AWS: ≤ 600 private REST APIs per account and region, not adjustable; each service of a direction
 * has its own (help/scaling.md). The other quotas (NLBs, VPC links, listeners…) are measured per
 * stack at synth (stacks/quotas.ts).
 */
export const MAX_SERVICES_PER_ENVIRONMENT = 600;
/** AWS: ≤ 300 resources per REST API. Each service has its own API: root + `/X` + 2 × targets resources. */
export const MAX_API_RESOURCES = 300;

/** Fargate CPU units → allowed memory (MiB). */
const FARGATE_MEMORY_MIB: Record<number, (m: number) => boolean> = {
  256: (m) => [512, 1024, 2048].includes(m),
  512: (m) => m >= 1024 && m <= 4096 && m % 1024 === 0,
  1024: (m) => m >= 2048 && m <= 8192 && m % 1024 === 0,
  2048: (m) => m >= 4096 && m <= 16384 && m % 1024 === 0,
  4096: (m) => m >= 8192 && m <= 30720 && m % 1024 === 0,
};
/**
 * Every Fargate memory size (MiB) per CPU value, enumerated from FARGATE_MEMORY_MIB — for checks
 * written in Terraform (the task_memory_mib variable and the task definition's precondition).
 */
export function fargateMemoryChoices(): Record<number, number[]> {
  const out: Record<number, number[]> = {};
  for (const [cpu, ok] of Object.entries(FARGATE_MEMORY_MIB)) {
    out[Number(cpu)] = [];
    for (let m = 512; m <= 30720; m += 512) if (ok(m)) out[Number(cpu)].push(m);
  }
  return out;
}

const FARGATE_MEMORY_TEXT: Record<number, string> = {
  256: "512, 1024 or 2048",
  512: "1024 to 4096 in steps of 1024",
  1024: "2048 to 8192 in steps of 1024",
  2048: "4096 to 16384 in steps of 1024",
  4096: "8192 to 30720 in steps of 1024",
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const entries = (v: unknown): [string, unknown][] => (isObj(v) ? Object.entries(v) : []);
const strings = (v: unknown): [number, string][] =>
  Array.isArray(v) ? v.flatMap((x, i) => (typeof x === "string" ? [[i, x] as [number, string]] : [])) : [];

interface Cidr {
  readonly text: string;
  readonly range: [ipaddr.IPv4, number];
  readonly at: (string | number)[];
}

export function crossFieldProblems(raw: unknown, source: SourceMap, dir: string): FleetProblem[] {
  const problems: FleetProblem[] = [];
  const add = (at: (string | number)[], message: string, received?: unknown) => problems.push(source.problem(at, message, { received }));
  /** A problem with a whole named entry: point at its key. */
  const addAtKey = (at: (string | number)[], message: string, received?: unknown) =>
    problems.push(source.problem(at, message, { key: true, received }));
  if (!isObj(raw)) {
    if (raw !== undefined) add([], "the fleet file must be a YAML mapping with version, region, organization, mesh and acquisitions");
    else add([], "the fleet file is empty; start from examples/fleet.yaml");
    return problems;
  }

  const region = typeof raw.region === "string" ? raw.region : undefined;
  const org = isObj(raw.organization) ? raw.organization : {};
  const mesh = isObj(raw.mesh) ? raw.mesh : {};
  const trustDomain = typeof mesh.trustDomain === "string" ? mesh.trustDomain : undefined;
  const meshServices = isObj(mesh.services) ? mesh.services : {};
  const meshNames = Object.keys(meshServices);

  // Backends: one at a time.
  if (isObj(raw.terraformCloud) && isObj(raw.s3Backend)) {
    add(["s3Backend"], "choose one state backend: remove s3Backend or terraformCloud");
  }
  // Tags AWS or Farcar own.
  for (const [key] of entries(raw.tags)) {
    if (/^aws:/i.test(key)) addAtKey(["tags", key], 'tag keys starting with "aws:" are reserved by AWS; rename the tag', key);
    if (/^farcar:/.test(key)) addAtKey(["tags", key], 'tag keys starting with "farcar:" are set by Farcar itself; rename the tag', key);
  }
  // Fargate task sizes.
  const checkTaskSize = (settings: unknown, at: (string | number)[]) => {
    if (!isObj(settings) || typeof settings.cpu !== "number" || typeof settings.memoryMiB !== "number") return;
    const allowed = FARGATE_MEMORY_MIB[settings.cpu];
    if (allowed && !allowed(settings.memoryMiB)) {
      add([...at, "memoryMiB"], `is not a Fargate size for cpu ${settings.cpu}: ${FARGATE_MEMORY_TEXT[settings.cpu]}`, settings.memoryMiB);
    }
  };

  // Files referenced by the fleet file.
  if (typeof mesh.trustBundle === "string") checkPemFile(add, ["mesh", "trustBundle"], mesh.trustBundle, dir);

  // Mesh services: SPIFFE IDs in the trust domain (distinct identities: identityProblems).
  for (const [name, svc] of entries(meshServices)) {
    if (!isObj(svc) || typeof svc.spiffeId !== "string") continue;
    if (trustDomain && !svc.spiffeId.startsWith(`spiffe://${trustDomain}/`)) {
      add(["mesh", "services", name, "spiffeId"], `must be in the mesh trust domain: start with spiffe://${trustDomain}/`, svc.spiffeId);
    }
    if (typeof svc.address === "string") {
      const port = Number(svc.address.slice(svc.address.lastIndexOf(":") + 1));
      if (!(port >= 1 && port <= 65535)) add(["mesh", "services", name, "address"], "port must be between 1 and 65535", svc.address);
    }
  }

  // SPIFFE ID template.
  const template = typeof mesh.spiffeIdTemplate === "string" ? mesh.spiffeIdTemplate : DEFAULT_SPIFFE_ID_TEMPLATE;
  if (typeof mesh.spiffeIdTemplate === "string") {
    for (const needed of ["{acquisition}", "{environment}", "{service}"]) {
      if (!template.includes(needed)) {
        add(["mesh", "spiffeIdTemplate"], `must contain ${needed} so every Farcar gets a distinct identity`, template);
      }
    }
    if (!template.startsWith("spiffe://")) add(["mesh", "spiffeIdTemplate"], "must start with spiffe://", template);
  }

  // Mesh routing CIDRs.
  const meshCidrs: Cidr[] = [];
  if (isObj(mesh.routing)) {
    for (const [i, c] of strings(mesh.routing.cidrs)) {
      const parsed = parseCidr(add, ["mesh", "routing", "cidrs", i], c);
      if (parsed) meshCidrs.push(parsed);
    }
  }

  // Private DNS blocks (mesh.dns, egressNetwork.upstreamDns): something to associate, each once.
  const checkDns = (dns: unknown, at: (string | number)[]) => {
    if (!isObj(dns)) return;
    if (!strings(dns.resolverRuleIds).length && !strings(dns.hostedZoneIds).length) {
      add(at, "needs resolverRuleIds or hostedZoneIds (or remove it)", dns);
    }
    for (const list of ["resolverRuleIds", "hostedZoneIds"]) {
      const seen = new Set<string>();
      for (const [i, id] of strings(dns[list])) {
        if (seen.has(id)) add([...at, list, i], "listed twice; list each ID once (a VPC is associated once)", id);
        seen.add(id);
      }
    }
  };
  checkDns(mesh.dns, ["mesh", "dns"]);

  // A mesh address given as an IPv4 literal must be inside mesh.routing.cidrs: Farcars may connect only there.
  if (meshCidrs.length) {
    for (const [name, svc] of entries(meshServices)) {
      if (!isObj(svc) || typeof svc.address !== "string") continue;
      const host = svc.address.slice(0, svc.address.lastIndexOf(":"));
      if (!ipaddr.IPv4.isValidFourPartDecimal(host)) continue;
      const ip = ipaddr.IPv4.parse(host);
      if (!meshCidrs.some((c) => ip.match(c.range))) {
        add(["mesh", "services", name, "address"], `is outside mesh.routing.cidrs (${meshCidrs.map((c) => c.text).join(", ")}); Farcars may connect only there: add its range to mesh.routing.cidrs`, svc.address);
      }
    }
  }

  let anyInbound = false;
  const managementAccountId = typeof org.managementAccountId === "string" ? org.managementAccountId : undefined;
  const accountIds = new Map<string, string>();
  const emails = new Map<string, string>();
  const proxyVpcs: Cidr[] = [];

  /** `<acquisition>-<environment>` → the environment that first took it (stack names, resource prefixes). */
  const joinedNames = new Map<string, { where: string; at: (string | number)[] }>();

  for (const [acqName, acq] of entries(raw.acquisitions)) {
    if (RESERVED_ACQUISITION_NAMES.includes(acqName)) {
      addAtKey(
        ["acquisitions", acqName],
        `is reserved: every Farcar role is named farcar-<acquisition>-…, and only the SVID issuers' roles (${ISSUER_ROLE_PREFIX}-*) may issue certificates (the guardrail SCP); rename the acquisition`,
        acqName,
      );
    }
    if (!isObj(acq)) continue;
    for (const [envName, env] of entries(acq.environments)) {
      if (!isObj(env)) continue;
      const at = (...rest: (string | number)[]) => ["acquisitions", acqName, "environments", envName, ...rest];
      const where = `${acqName}/${envName}`;

      // Stack names and resource prefixes join acquisition and environment with '-': a-b/c and
      // a/b-c would both be a-b-c-ingress, and one would overwrite the other's stack and names.
      const joined = `${acqName}-${envName}`;
      const first = joinedNames.get(joined);
      if (first) {
        const pos = source.locate(first.at, true);
        addAtKey(
          at(),
          `gives the same stack names (${stackName(acqName, envName, "ingress")}, …) and resource names (farcar-${joined}-…) as ${first.where} ` +
            `(${source.file}:${pos.line}:${pos.column}); rename one acquisition or environment so that "<acquisition>-<environment>" differs`,
          where,
        );
      } else joinedNames.set(joined, { where, at: at() });

      // Proxy account: exactly one of id / email, unique across the fleet.
      const account = isObj(env.proxyAccount) ? env.proxyAccount : undefined;
      if (account) {
        const hasId = account.id !== undefined;
        const hasEmail = account.email !== undefined;
        if (hasId === hasEmail) {
          add(at("proxyAccount"), hasId ? "set either id (adopt an account) or email (create one), not both" : "needs id (adopt an existing account) or email (create a new one)", account);
        }
        if (hasId && account.name !== undefined) {
          add(at("proxyAccount", "name"), "names a created account; an adopted account (id) keeps its own name: remove it", account.name);
        }
        if (typeof account.id === "string") {
          if (account.id === managementAccountId) add(at("proxyAccount", "id"), "must not be the management account; each environment gets its own proxy account", account.id);
          const prev = accountIds.get(account.id);
          if (prev) add(at("proxyAccount", "id"), `already used by ${prev}; one proxy account per acquisition environment`, account.id);
          accountIds.set(account.id, where);
        }
        if (typeof account.email === "string") {
          const prev = emails.get(account.email.toLowerCase());
          if (prev) add(at("proxyAccount", "email"), `already used by ${prev}; AWS account emails are unique`, account.email);
          emails.set(account.email.toLowerCase(), where);
        }
      }

      // The effective size: built-in defaults < fleet-wide farcar < this environment's farcar.
      checkTaskSize(
        { cpu: FARCAR_DEFAULTS.cpu, memoryMiB: FARCAR_DEFAULTS.memoryMiB, ...(isObj(raw.farcar) ? raw.farcar : {}), ...(isObj(env.farcar) ? env.farcar : {}) },
        isObj(env.farcar) && (env.farcar.cpu !== undefined || env.farcar.memoryMiB !== undefined) ? at("farcar") : ["farcar"],
      );

      // Region: the environment's own, else the fleet's; one partition for the whole fleet (one
      // organization, one SCP, one management account).
      const envRegion = typeof env.region === "string" && REGION.test(env.region) ? env.region : undefined;
      if (envRegion && region && REGION.test(region) && partitionOf(envRegion) !== partitionOf(region)) {
        add(
          at("region"),
          `is in the ${partitionOf(envRegion)} partition but the fleet region ${region} is in ${partitionOf(region)}; one organization cannot span partitions: use a fleet file per partition`,
          env.region,
        );
      }
      if (envRegion && envRegion !== region && isObj(mesh.routing) && mesh.routing.transitGatewayId !== undefined) {
        // A transit gateway is regional: a VPC attaches only to one in its own region.
        add(
          at("region"),
          `mesh.routing.transitGatewayId names a transit gateway of the fleet region ${region}; a VPC in ${envRegion} cannot attach to it. Fix: keep this environment in ${region}; or leave out mesh.routing.transitGatewayId and route the proxy VPCs to the mesh CIDRs yourself (e.g. through a peered transit gateway in ${envRegion}; the stacks output proxy_vpc_id and proxy_route_table_ids); or move it to a fleet file whose region is ${envRegion}`,
          env.region,
        );
      }
      const azRegion = envRegion ?? region;
      const whose = envRegion ? "this environment's region" : "the fleet region";

      // Network: AZs in the region, CIDRs valid and not overlapping.
      const network = isObj(env.network) ? env.network : {};
      const seenAz = new Set<string>();
      for (const [i, az] of strings(network.availabilityZones)) {
        if (azRegion && !new RegExp(`^${azRegion}[a-z]$`).test(az)) {
          add(at("network", "availabilityZones", i), `is not an availability zone of ${whose} ${azRegion} (e.g. ${azRegion}a)`, az);
        }
        if (seenAz.has(az)) add(at("network", "availabilityZones", i), "listed twice; list each zone once", az);
        seenAz.add(az);
      }
      const proxyVpc = typeof network.proxyVpcCidr === "string" ? parseCidr(add, at("network", "proxyVpcCidr"), network.proxyVpcCidr, true) : undefined;
      const acqVpc =
        typeof network.acquisitionVpcCidr === "string" ? parseCidr(add, at("network", "acquisitionVpcCidr"), network.acquisitionVpcCidr, true) : undefined;
      if (proxyVpc && acqVpc && overlaps(proxyVpc, acqVpc)) {
        add(at("network", "acquisitionVpcCidr"), `overlaps proxyVpcCidr ${proxyVpc.text}; the two VPCs are connected and need disjoint ranges`, acqVpc.text);
      }
      if (proxyVpc) {
        for (const other of proxyVpcs) {
          if (overlaps(proxyVpc, other)) {
            add(proxyVpc.at, `overlaps the proxy VPC at ${dotted(other.at)} (${other.text}); proxy VPCs share the route to the mesh and need disjoint ranges`, proxyVpc.text);
          }
        }
        for (const m of meshCidrs) {
          if (overlaps(proxyVpc, m)) add(proxyVpc.at, `overlaps mesh routing CIDR ${m.text}; traffic to the mesh would stay in the VPC`, proxyVpc.text);
        }
        proxyVpcs.push(proxyVpc);
      }
      // Callers run in the acquisition's own accounts, never in the endpoint VPC: without their
      // CIDRs the endpoint admits nobody.
      if (entries(env.inbound).length && network.acquisitionCallerCidrs === undefined && isObj(env.network)) {
        add(
          at("network", "acquisitionCallerCidrs"),
          "is required for inbound services: list the CIDRs of the acquisition workloads that call the API, e.g. acquisitionCallerCidrs: [10.200.0.0/16] " +
            "(the old default, acquisitionVpcCidr, is the endpoint VPC itself, where no caller runs)",
        );
      }
      if (entries(env.inbound).length) anyInbound = true;
      for (const [i, c] of strings(network.acquisitionCallerCidrs)) {
        const parsed = parseCidr(add, at("network", "acquisitionCallerCidrs", i), c);
        if (parsed && parsed.range[1] === 0) {
          add(parsed.at, "would admit the whole internet to the execute-api endpoint; list the acquisition's workload CIDRs", c);
        } else if (parsed && acqVpc && overlaps(parsed, acqVpc)) {
          // The endpoint VPC holds only the endpoint; its callers' routes (callerRouting) cannot point into it.
          add(parsed.at, `overlaps acquisitionVpcCidr ${acqVpc.text}, the endpoint VPC itself, where no caller runs; list the acquisition's workload CIDRs`, c);
        }
      }

      // Identity.
      const identity = isObj(env.identity) ? env.identity : {};
      if (typeof identity.acquisitionCaCertificate === "string") {
        if (identity.acquisitionCaArn !== undefined) {
          add(at("identity", "acquisitionCaCertificate"), "applies to a CA created by Farcar; remove it when adopting a CA with acquisitionCaArn", identity.acquisitionCaCertificate);
        }
        checkPemFile(add, at("identity", "acquisitionCaCertificate"), identity.acquisitionCaCertificate, dir);
      }
      // Issue 11 item 8: an adopted CA must be callable by the environment's issuer: same region
      // (Private CA is regional; the issuer calls it in the fleet's region) and partition. A CA in
      // another account needs a RAM share the issuer's account accepts (help/identity.md).
      if (typeof identity.acquisitionCaArn === "string" && region) {
        const [, partition, , caRegion] = identity.acquisitionCaArn.split(":");
        const expectedPartition = region.startsWith("cn-") ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov" : "aws";
        if (partition && partition !== expectedPartition) {
          add(at("identity", "acquisitionCaArn"), `is in partition ${partition}, but region ${region} is in ${expectedPartition}; adopt a CA of ${expectedPartition}`, identity.acquisitionCaArn);
        } else if (caRegion && caRegion !== region) {
          add(at("identity", "acquisitionCaArn"), `is in region ${caRegion}; the environment's issuer calls Private CA in ${region}: adopt a CA in ${region} (Private CA is regional)`, identity.acquisitionCaArn);
        }
      }
      if (identity.svidWriterArn !== undefined && identity.source !== "secretsManager") {
        add(at("identity", "svidWriterArn"), 'only applies with source: secretsManager (a writer of SVID secrets); remove it or set identity.source: secretsManager', identity.svidWriterArn);
      }
      if (identity.source === "secretsManager" && (identity.acquisitionCaArn !== undefined || identity.acquisitionCaCertificate !== undefined)) {
        add(at("identity", "source"), "secretsManager takes no CA settings; remove acquisitionCaArn / acquisitionCaCertificate or use privateCa", identity.source);
      }

      // Inbound services.
      const inbound = entries(env.inbound);
      if (inbound.length > MAX_SERVICES_PER_ENVIRONMENT) {
        addAtKey(at("inbound"), `has ${inbound.length} services; an account allows ${MAX_SERVICES_PER_ENVIRONMENT} private REST APIs per region (not adjustable), one per service: move services to another environment (its own proxy account)`);
      }
      for (const [svcName, svc] of inbound) {
        if (!isObj(svc)) continue;
        const seenTargets = new Set<string>();
        for (const [i, t] of strings(svc.targets)) {
          if (DNS_LABEL.test(t) && !meshNames.includes(t)) {
            add(at("inbound", svcName, "targets", i), `is not a mesh service; known targets: ${meshNames.join(", ") || "(none: add it under mesh.services)"}`, t);
          }
          if (seenTargets.has(t)) add(at("inbound", svcName, "targets", i), "listed twice; list each target once", t);
          seenTargets.add(t);
        }
        checkMethods(add, svc.methods, at("inbound", svcName, "methods"));
        const apiResources = 2 + 2 * seenTargets.size;
        if (apiResources > MAX_API_RESOURCES) {
          addAtKey(at("inbound", svcName, "targets"), `needs ${apiResources} REST API resources; API Gateway allows ${MAX_API_RESOURCES} per API: list fewer targets (at most ${(MAX_API_RESOURCES - 2) / 2})`);
        }
      }

      // Outbound services.
      const outbound = entries(env.outbound);
      if (outbound.length && !isObj(env.egressProxyAccount)) {
        addAtKey(at("outbound"), 'needs egressProxyAccount: { id: "<12 digits>" } — the proxy account in the acquisition\'s organization that hosts the egress API');
      }
      if (outbound.length > MAX_SERVICES_PER_ENVIRONMENT) {
        addAtKey(at("outbound"), `has ${outbound.length} services; at most ${MAX_SERVICES_PER_ENVIRONMENT} (private REST APIs per account and region, one per service): move services to another environment`);
      }
      const egressNetwork = isObj(env.egressNetwork) ? env.egressNetwork : {};
      const egressProxy =
        typeof egressNetwork.proxyVpcCidr === "string" ? parseCidr(add, at("egressNetwork", "proxyVpcCidr"), egressNetwork.proxyVpcCidr, true) : undefined;
      const egressCaller =
        typeof egressNetwork.callerVpcCidr === "string" ? parseCidr(add, at("egressNetwork", "callerVpcCidr"), egressNetwork.callerVpcCidr, true) : undefined;
      if (egressProxy && egressCaller && overlaps(egressProxy, egressCaller)) {
        add(at("egressNetwork", "callerVpcCidr"), `overlaps egressNetwork.proxyVpcCidr ${egressProxy.text}; use disjoint ranges`, egressCaller.text);
      }
      for (const [i, c] of strings(egressNetwork.callerCidrs)) {
        const parsed = parseCidr(add, at("egressNetwork", "callerCidrs", i), c);
        const callerVpc = egressCaller ?? acqVpc;
        if (parsed && parsed.range[1] === 0) add(parsed.at, "would admit the whole internet to the egress execute-api endpoint; list the parent's workload CIDRs", c);
        else if (parsed && callerVpc && overlaps(parsed, callerVpc)) {
          add(parsed.at, `overlaps the caller VPC ${callerVpc.text} (the endpoint VPC itself, where no caller runs); list the parent's workload CIDRs`, c);
        }
      }
      if (isObj(egressNetwork.upstreamRouting)) {
        for (const [i, c] of strings(egressNetwork.upstreamRouting.cidrs)) parseCidr(add, at("egressNetwork", "upstreamRouting", "cidrs", i), c);
      }
      checkDns(egressNetwork.upstreamDns, at("egressNetwork", "upstreamDns"));
      // What a working egress path needs: who calls (their CIDRs) and where the upstreams are.
      if (outbound.length) {
        if (egressNetwork.callerCidrs === undefined) {
          add(
            at("egressNetwork", "callerCidrs"),
            "is required for outbound services: list the CIDRs of the parent workloads that call them, e.g. egressNetwork: { callerCidrs: [10.10.0.0/16] } " +
              "(the old default, the caller VPC's own CIDR, holds no callers)",
          );
        }
        if (egressNetwork.upstreamRouting === undefined) {
          add(
            at("egressNetwork", "upstreamRouting"),
            "is required for outbound services: egress Farcars may connect only to the acquisition CIDRs it lists, e.g. " +
              "egressNetwork: { upstreamRouting: { transitGatewayId: tgw-0123456789abcdef0, cidrs: [10.96.0.0/16] } } (leave out transitGatewayId if you route the egress proxy VPC yourself)",
          );
        }
      }
      if (isObj(env.egressProxyAccount) && typeof env.egressProxyAccount.id === "string") {
        const id = env.egressProxyAccount.id;
        if (id === managementAccountId) add(at("egressProxyAccount", "id"), "must be an account of the acquisition's organization, not the parent's management account", id);
        const prev = accountIds.get(id);
        if (prev) add(at("egressProxyAccount", "id"), `already used by ${prev}; one proxy account per direction and environment`, id);
        accountIds.set(id, `${where} (egress)`);
      }
      for (const [svcName, svc] of outbound) {
        if (!isObj(svc) || !isObj(svc.upstream)) continue;
        const auth = svc.upstream.auth;
        if (isObj(auth)) {
          const kinds = Object.keys(auth).filter((k) => ["sigv4", "mtls", "header"].includes(k));
          if (kinds.length !== 1) {
            add(at("outbound", svcName, "upstream", "auth"), `needs exactly one of sigv4, mtls, header${kinds.length ? ` (found ${kinds.join(", ")})` : ""}`);
          }
          // Every kind sends a credential with each request: a SigV4 signature (replayable until it
          // expires), a static header, or a client certificate presented in TLS. Over http:// the
          // first two cross the network in clear text and the third cannot be presented at all.
          const url = svc.upstream.url;
          if (typeof url === "string" && /^http:\/\//i.test(url) && kinds.length === 1) {
            const what = { sigv4: "the SigV4-signed request (its Authorization header and security token)", header: "the credential header", mtls: "the client certificate (it is presented in TLS)" }[kinds[0]];
            add(
              at("outbound", svcName, "upstream", "url"),
              `must be https:// with ${kinds[0]} auth: over http:// ${what} ${kinds[0] === "mtls" ? "cannot be sent" : "crosses the network in clear text"}; use ${url.replace(/^http:/i, "https:")}`,
              url,
            );
          }
          for (const kind of ["mtls", "sigv4", "header"]) {
            const block = auth[kind];
            if (isObj(block) && typeof block.caBundle === "string") {
              checkPemFile(add, at("outbound", svcName, "upstream", "auth", kind, "caBundle"), block.caBundle, dir);
            }
          }
        }
        checkMethods(add, svc.methods, at("outbound", svcName, "methods"));
        const seen = new Set<string>();
        for (const [i, arn] of strings(svc.callerRoleArns)) {
          if (seen.has(arn)) add(at("outbound", svcName, "callerRoleArns", i), "listed twice; list each role once", arn);
          seen.add(arn);
        }
      }
    }
  }
  if (anyInbound && mesh.routing === undefined && isObj(raw.mesh)) {
    add(
      ["mesh", "routing"],
      "is required when environments have inbound services: Farcars may connect only to the mesh CIDRs it lists, and are routed there. " +
        "Add under mesh: routing: { transitGatewayId: tgw-0123456789abcdef0, cidrs: [10.0.0.0/12] } with your transit gateway and mesh CIDRs " +
        "(leave out transitGatewayId if you route the proxy VPCs to the mesh yourself)",
    );
  }
  problems.push(...identityProblems(raw, source));
  return problems;
}

function checkMethods(add: Add, methods: unknown, at: (string | number)[]): void {
  const seen = new Set<string>();
  for (const [i, m] of strings(methods)) {
    if (seen.has(m)) add([...at, i], "listed twice; list each method once", m);
    seen.add(m);
  }
}

function dotted(at: (string | number)[]): string {
  return at.map((s) => (typeof s === "number" ? `[${s}]` : s)).join(".").replace(/\.\[/g, "[");
}

type Add = (at: (string | number)[], message: string, received?: unknown) => void;

function parseCidr(add: Add, at: (string | number)[], text: string, vpc = false): Cidr | undefined {
  let range: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    range = ipaddr.parseCIDR(text);
  } catch {
    add(at, "is not a valid CIDR block; expected e.g. 10.64.0.0/20", text);
    return undefined;
  }
  if (range[0].kind() !== "ipv4") {
    add(at, "must be an IPv4 CIDR block (e.g. 10.64.0.0/20)", text);
    return undefined;
  }
  const v4 = range as [ipaddr.IPv4, number];
  const network = ipaddr.IPv4.networkAddressFromCIDR(text).toString();
  if (network !== v4[0].toString()) {
    add(at, `has host bits set; the network address is ${network}/${v4[1]}`, text);
    return undefined;
  }
  if (vpc && (v4[1] < 16 || v4[1] > 24)) {
    add(at, "a VPC CIDR must be between /16 and /24 (room for a subnet per AZ and VPC endpoints)", text);
    return undefined;
  }
  return { text, range: v4, at };
}

function overlaps(a: Cidr, b: Cidr): boolean {
  return a.range[1] <= b.range[1] ? b.range[0].match(a.range) : a.range[0].match(b.range);
}

function checkPemFile(add: Add, at: (string | number)[], file: string, dir: string): void {
  const full = path.resolve(dir, file);
  if (!existsSync(full)) {
    add(at, `file not found at ${path.relative(process.cwd(), full) || full}; paths are relative to the fleet file`, file);
    return;
  }
  const text = readFileSync(full, "utf8");
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (!blocks.length) {
    add(at, "contains no PEM certificate (-----BEGIN CERTIFICATE-----); give the CA bundle in PEM", file);
    return;
  }
  blocks.forEach((pem, i) => {
    try {
      const cert = new X509Certificate(pem);
      if (!cert.ca) add(at, `certificate ${i + 1} is not a CA certificate (basicConstraints CA:TRUE); a trust bundle holds CA certificates`, file);
    } catch {
      add(at, `certificate ${i + 1} is not a valid X.509 certificate`, file);
    }
  });
}

/**
 * Fleet-wide identity checks (help/security.md, "1:1 identity"): what must hold across every
 * environment and acquisition at once, not just within one.
 *
 * - One IAM role acts for exactly one inbound service in the whole fleet. Roles are compared as
 *   AWS identifies them: partition + account + role name, case-insensitively, path ignored ("role
 *   names must be unique within the account … not distinguished by case", IAM User Guide, IAM
 *   identifiers; the path is not part of that uniqueness), so `role/Worker`, `role/worker` and
 *   `role/a/worker` are one role.
 * - A role acting for a service (or calling an egress service) must not live in a proxy account
 *   (whose administrators the guardrails keep out of Farcar's identities) or, for inbound roles,
 *   in the management account (outside every SCP).
 * - SPIFFE IDs of Farcars and mesh services are pairwise distinct and none is a path-segment
 *   prefix of another (mesh authorization often grants `spiffe://td/payments/*`: a Farcar ID under
 *   it would inherit payments' grants), and every Farcar ID is in the mesh trust domain.
 */
export function identityProblems(raw: Obj, source: SourceMap): FleetProblem[] {
  const problems: FleetProblem[] = [];
  const add = (at: (string | number)[], message: string, received?: unknown, key = false) =>
    problems.push(source.problem(at, message, { received, key }));
  const org = isObj(raw.organization) ? raw.organization : {};
  const mesh = isObj(raw.mesh) ? raw.mesh : {};
  const trustDomain = typeof mesh.trustDomain === "string" ? mesh.trustDomain : undefined;
  const template = typeof mesh.spiffeIdTemplate === "string" ? mesh.spiffeIdTemplate : DEFAULT_SPIFFE_ID_TEMPLATE;
  const managementAccountId = typeof org.managementAccountId === "string" ? org.managementAccountId : undefined;

  // Every proxy account the fleet names, first.
  const proxyAccounts = new Map<string, string>();
  for (const [acqName, acq] of entries(raw.acquisitions)) {
    for (const [envName, env] of entries(isObj(acq) ? acq.environments : undefined)) {
      if (!isObj(env)) continue;
      if (isObj(env.proxyAccount) && typeof env.proxyAccount.id === "string") proxyAccounts.set(env.proxyAccount.id, `the proxy account of ${acqName}/${envName}`);
      if (isObj(env.egressProxyAccount) && typeof env.egressProxyAccount.id === "string") {
        proxyAccounts.set(env.egressProxyAccount.id, `the egress proxy account of ${acqName}/${envName}`);
      }
    }
  }

  interface Identity {
    readonly id: string;
    readonly owner: string;
    readonly at: (string | number)[];
    /** Farcar identities are reported at the inbound service's key; mesh IDs at their value. */
    readonly farcar: boolean;
  }
  const identities: Identity[] = [];
  for (const [name, svc] of entries(mesh.services)) {
    if (isObj(svc) && typeof svc.spiffeId === "string") {
      identities.push({ id: svc.spiffeId, owner: `mesh service "${name}"`, at: ["mesh", "services", name, "spiffeId"], farcar: false });
    }
  }

  const roleOwners = new Map<string, { owner: string; arn: string; env: string; service: string }>();
  let outsideTrustDomain: string | undefined;
  for (const [acqName, acq] of entries(raw.acquisitions)) {
    for (const [envName, env] of entries(isObj(acq) ? acq.environments : undefined)) {
      if (!isObj(env)) continue;
      const at = (...rest: (string | number)[]) => ["acquisitions", acqName, "environments", envName, ...rest];
      const where = `${acqName}/${envName}`;
      for (const [svcName, svc] of entries(env.inbound)) {
        if (!isObj(svc)) continue;
        for (const [i, arn] of strings(svc.roleArns)) {
          const role = parseRoleArn(arn);
          if (!role) continue; // the schema reports it
          const roleAt = at("inbound", svcName, "roleArns", i);
          if (role.account === managementAccountId) {
            add(roleAt, "is a role of the management account, which no SCP restricts; a role acting as an acquisition service must live in the acquisition's accounts", arn);
          }
          const proxy = proxyAccounts.get(role.account);
          if (proxy) add(roleAt, `is a role of ${proxy}; proxy-account principals never act as a service (the API denies them): use the acquisition's own role`, arn);
          const prev = roleOwners.get(role.key);
          const same = prev && prev.arn !== arn ? ` as ${prev.arn} (IAM role names ignore case and path: the same role)` : "";
          if (prev && prev.env === where && prev.service === svcName) add(roleAt, `listed twice${same}; list each role once`, arn);
          else if (prev) {
            add(roleAt, `already acts as inbound service "${prev.service}" of ${prev.env}${same}; a role may act as one service only across the whole fleet (1:1 identity): give each service its own role`, arn);
          } else roleOwners.set(role.key, { owner: `${where}/${svcName}`, arn, env: where, service: svcName });
        }
        if (trustDomain && DNS_LABEL.test(svcName) && DNS_LABEL.test(acqName) && DNS_LABEL.test(envName)) {
          const id = farcarSpiffeId(template, { trustDomain, acquisition: acqName, environment: envName, service: svcName });
          if (!id.startsWith(`spiffe://${trustDomain}/`)) outsideTrustDomain ??= id;
          identities.push({ id, owner: `${where}/${svcName}`, at: at("inbound", svcName), farcar: true });
        }
      }
      for (const [svcName, svc] of entries(env.outbound)) {
        if (!isObj(svc)) continue;
        for (const [i, arn] of strings(svc.callerRoleArns)) {
          const role = parseRoleArn(arn);
          const proxy = role && proxyAccounts.get(role.account);
          if (proxy) {
            add(at("outbound", svcName, "callerRoleArns", i), `is a role of ${proxy}; callers are parent services' roles, never a proxy account's`, arn);
          }
        }
      }
    }
  }
  if (outsideTrustDomain && typeof mesh.spiffeIdTemplate === "string") {
    add(["mesh", "spiffeIdTemplate"], `gives Farcar SPIFFE IDs outside the mesh trust domain (e.g. ${outsideTrustDomain}); start it with spiffe://{trustDomain}/`, template);
  }

  // Equal or path-segment prefixes, in either direction: index every ID, then look up each ID's
  // own prefixes (O(IDs × depth), not pairwise).
  const byId = new Map<string, Identity>();
  for (const ident of identities) {
    const prev = byId.get(ident.id);
    if (prev) {
      const here = ident.farcar ? ident : prev.farcar ? prev : ident;
      const other = here === ident ? prev : ident;
      if (here.farcar && !other.farcar) {
        add(here.at, `its Farcar SPIFFE ID ${ident.id} is the identity of ${other.owner}; change mesh.spiffeIdTemplate`, undefined, true);
      } else if (here.farcar) {
        add(here.at, `its Farcar SPIFFE ID ${ident.id} equals that of ${other.owner}; mesh.spiffeIdTemplate must keep identities distinct`, undefined, true);
      } else {
        add(here.at, `same SPIFFE ID as ${other.owner}; each service has its own identity`, ident.id);
      }
      continue;
    }
    byId.set(ident.id, ident);
  }
  for (const ident of byId.values()) {
    const authority = ident.id.indexOf("/", "spiffe://".length);
    if (authority < 0) continue;
    for (let cut = ident.id.indexOf("/", authority + 1); cut > 0; cut = ident.id.indexOf("/", cut + 1)) {
      const parent = byId.get(ident.id.slice(0, cut));
      if (!parent) continue;
      // Report at a Farcar when one is involved (its ID is derived; the mesh's is given).
      if (ident.farcar) {
        add(ident.at, `its Farcar SPIFFE ID ${ident.id} lies under the ID of ${parent.owner} (${parent.id}); a mesh grant for ${parent.id}/* would cover it: change mesh.spiffeIdTemplate`, undefined, true);
      } else if (parent.farcar) {
        add(parent.at, `its Farcar SPIFFE ID ${parent.id} is a prefix of the ID of ${ident.owner} (${ident.id}); a mesh grant for ${parent.id}/* would cover ${ident.owner}: change mesh.spiffeIdTemplate`, undefined, true);
      } else {
        add(ident.at, `lies under the SPIFFE ID of ${parent.owner} (${parent.id}); no identity may be a path prefix of another`, ident.id);
      }
    }
  }
  return problems;
}

/** `arn:aws:iam::123456789012:role/path/Name` → the key IAM identifies the role by. */
export function parseRoleArn(arn: string): { partition: string; account: string; name: string; key: string } | undefined {
  const m = /^arn:([\w-]+):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(arn);
  if (!m) return undefined;
  return { partition: m[1], account: m[2], name: m[3], key: `${m[1]}:${m[2]}:${m[3].toLowerCase()}` };
}
