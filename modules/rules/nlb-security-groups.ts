/**
 * FC-NLB-SECURITY-GROUPS: every Network Load Balancer has security groups — closing the gap of
 * the article's own design, whose NLBs had none (DESIGN.md, non-negotiables).
 */
import { NOT_APPLICABLE, defineRule, failIf, isExpression, strings, type ResourceConfig, type RuleResult } from "./rule";

export const nlbSecurityGroups = defineRule({
  id: "FC-NLB-SECURITY-GROUPS",
  description: 'Every aws_lb with load_balancer_type = "network" has security_groups',
  why:
    "Without a security group an NLB accepts traffic from anything that can route to it and can send to anything; with one, " +
    "the Farcar tasks can admit the NLB's group only. NLB security groups can only be set when the NLB is created",
  fix:
    "Set security_groups = [<NLB security group>] with no inbound rules (VPC-link traffic is PrivateLink) and outbound to the " +
    "task security group only (modules/farcar-service/farcar-service.ts); adding them later replaces the NLB",
  appliesTo: ["aws_lb", "aws_alb"],
  evaluate(resource: ResourceConfig): RuleResult {
    if (resource.mode === "data" || !["aws_lb", "aws_alb"].includes(resource.type)) return NOT_APPLICABLE;
    if (resource.config.load_balancer_type !== "network") return NOT_APPLICABLE;
    const groups = resource.config.security_groups;
    return failIf(isExpression(groups) || strings(groups).length > 0 ? [] : ["network load balancer has no security_groups"]);
  },
});
