/**
 * Composes every stack of a fleet into a cdktf App: `org`, then one `*-ingress` stack per
 * environment (and `*-egress` where the environment has outbound services).
 */
import type { App } from "cdktf";
import type { Fleet } from "../config/fleet";
import { enforceSecurityRules } from "../modules/rules/enforce";
import { EgressStack } from "./egress-stack";
import { IngressStack } from "./ingress-stack";
import { OrgStack } from "./org-stack";

export interface FleetStacks {
  readonly org: OrgStack;
  readonly ingress: IngressStack[];
  readonly egress: EgressStack[];
}

export function buildFleet(app: App, fleet: Fleet): FleetStacks {
  const org = new OrgStack(app, { fleet });
  const ingress = fleet.environments.map((environment) => new IngressStack(app, { fleet, environment, org }));
  const egress = fleet.environments.filter((e) => e.egress).map((environment) => new EgressStack(app, { fleet, environment, org }));
  enforceSecurityRules(app); // after every stack exists: help/security-rules.md
  return { org, ingress, egress };
}
