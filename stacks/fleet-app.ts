/**
 * Composes every stack of a fleet into a cdktf App: `org`; per environment the
 * `*-ingress-images` and `*-ingress` stacks; and `*-egress-images` and `*-egress` where the
 * environment has outbound services. Apply order (help/first-deployment.md): org → images (then
 * push the images) → ingress/egress. No stack declares a cdktf dependency on another: with one,
 * `cdktf deploy <stack>` would refuse to run the stack alone.
 */
import type { App } from "cdktf";
import type { Fleet } from "../config/fleet";
import { enforceSecurityRules } from "../modules/rules/enforce";
import { EgressStack } from "./egress-stack";
import { ImagesStack } from "./images-stack";
import { IngressStack } from "./ingress-stack";
import { OrgStack } from "./org-stack";

export interface FleetStacks {
  readonly org: OrgStack;
  /** The ECR repositories of every proxy account, one stack per ingress and egress stack. */
  readonly images: ImagesStack[];
  readonly ingress: IngressStack[];
  readonly egress: EgressStack[];
}

export function buildFleet(app: App, fleet: Fleet): FleetStacks {
  const org = new OrgStack(app, { fleet });
  const images: ImagesStack[] = [];
  const ingress = fleet.environments.map((environment) => {
    images.push(new ImagesStack(app, { fleet, environment, org, kind: "ingress" }));
    return new IngressStack(app, { fleet, environment, org });
  });
  const egress = fleet.environments
    .filter((e) => e.egress)
    .map((environment) => {
      images.push(new ImagesStack(app, { fleet, environment, org, kind: "egress" }));
      return new EgressStack(app, { fleet, environment, org });
    });
  enforceSecurityRules(app); // after every stack exists: help/security-rules.md
  return { org, images, ingress, egress };
}
