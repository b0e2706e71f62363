/**
 * How the Farcars of one direction (ingress or egress) of one environment map onto shared AWS
 * resources — NLBs, VPC links, REST APIs — and how many of each that takes. One source of truth
 * for the synth-time quota check (stacks/quotas.ts) and `npm run cost`; help/scaling.md explains
 * the layouts and the choice between them.
 */

/** AWS: listeners per Network Load Balancer (not adjustable). */
export const LISTENERS_PER_NLB = 50;

/** A layout: which API and which NLB each service of a direction uses. */
export interface Layout {
  readonly name: "per-service-nlb" | "shared-nlb";
  /** Services per REST API (each API carries the policies and routes of its services). */
  readonly apis: ReadonlyArray<readonly string[]>;
  /** Services per NLB (one listener each); each NLB has its own v1 VPC link. */
  readonly nlbs: ReadonlyArray<readonly string[]>;
}

export interface LayoutCounts {
  readonly services: number;
  /** Network Load Balancers (each fronts Farcar listeners). */
  readonly nlbs: number;
  /** API Gateway VPC links (v1: one NLB each). */
  readonly vpcLinks: number;
  /** Private REST APIs. */
  readonly apis: number;
  /** Most listeners on one NLB. */
  readonly maxListenersPerNlb: number;
}

/**
 * The layout the stacks generate today, which is also the article's: one private API for every
 * service of the direction, and one NLB (with its own VPC link) per service.
 */
export function perServiceNlbLayout(services: readonly string[]): Layout {
  return { name: "per-service-nlb", apis: services.length ? [services] : [], nlbs: services.map((s) => [s]) };
}

/**
 * The layout for hundreds of services (help/scaling.md): one private API per service, and NLBs
 * shared by up to `listenersPerNlb` services, one listener each, as the lock file assigns them
 * (`slots`: service → NLB index).
 */
export function sharedNlbLayout(services: readonly string[], slots: ReadonlyMap<string, number>): Layout {
  const byNlb = new Map<number, string[]>();
  for (const s of services) {
    const nlb = slots.get(s);
    if (nlb === undefined) throw new Error(`no NLB slot for service ${s}: run npm run lock`);
    byNlb.set(nlb, [...(byNlb.get(nlb) ?? []), s]);
  }
  return { name: "shared-nlb", apis: services.map((s) => [s]), nlbs: [...byNlb.keys()].sort((a, b) => a - b).map((k) => byNlb.get(k)!) };
}

export function countLayout(layout: Layout): LayoutCounts {
  const services = layout.nlbs.reduce((n, members) => n + members.length, 0);
  return {
    services,
    nlbs: layout.nlbs.length,
    vpcLinks: layout.nlbs.length,
    apis: layout.apis.length,
    maxListenersPerNlb: Math.max(0, ...layout.nlbs.map((m) => m.length)),
  };
}

/** The layout the stacks generate today, counted. */
export function layoutCounts(services: number): LayoutCounts {
  return countLayout(perServiceNlbLayout(Array.from({ length: services }, (_, i) => `s${i}`)));
}

/** The article's layout (Block, "Connecting Block Business Units with AWS API Gateway"): own NLB and VPC link per service, one API. */
export function articleLayoutCounts(services: number): LayoutCounts {
  return layoutCounts(services);
}
