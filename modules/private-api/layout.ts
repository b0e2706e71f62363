/**
 * How many shared AWS resources a direction (ingress or egress) of one environment uses for
 * `services` Farcars: NLBs, VPC links, REST APIs. One source of truth for the stacks' quota
 * checks and for `npm run cost`; help/scaling.md explains the layout.
 */

export interface LayoutCounts {
  readonly services: number;
  /** Network Load Balancers (each fronts Farcar listeners). */
  readonly nlbs: number;
  /** API Gateway VPC links (v1: one NLB each). */
  readonly vpcLinks: number;
  /** Private REST APIs. */
  readonly apis: number;
}

/** The layout the stacks generate today: one NLB and one VPC link per service, one API. */
export function layoutCounts(services: number): LayoutCounts {
  return { services, nlbs: services, vpcLinks: services, apis: services ? 1 : 0 };
}

/** The article's layout (Block, "Connecting Block Business Units with AWS API Gateway"): own NLB and VPC link per service, one API. */
export function articleLayoutCounts(services: number): LayoutCounts {
  return { services, nlbs: services, vpcLinks: services, apis: services ? 1 : 0 };
}
