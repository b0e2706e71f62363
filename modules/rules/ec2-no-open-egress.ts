/**
 * FC-SG-OPEN-EGRESS: no security group lets traffic out to the whole internet (0.0.0.0/0 or ::/0).
 *
 * A Farcar may connect to its VPC endpoints, its S3 prefix list and the CIDRs of its upstreams
 * (`mesh.routing.cidrs`, `egressNetwork.upstreamRouting.cidrs`) — nothing else. An egress to /0
 * was once the fallback when no routing was configured; this rule keeps it from coming back.
 * (The VPC's Amazon DNS resolver is not filtered by security groups, so no DNS egress is needed.)
 */
import { NOT_APPLICABLE, defineRule, failIf, type ResourceConfig, type RuleResult } from "./rule";
import { isAnywhere, securityGroupRules } from "./ec2-no-open-ingress";

const TYPES = ["aws_security_group", "aws_security_group_rule", "aws_vpc_security_group_egress_rule"];

export const ec2NoOpenEgress = defineRule({
  id: "FC-SG-OPEN-EGRESS",
  description:
    "No egress to 0.0.0.0/0 or ::/0 (any /0): aws_security_group inline egress, aws_security_group_rule of type egress, " +
    "aws_vpc_security_group_egress_rule",
  why:
    "A Farcar holds a mesh identity and its credentials: it may connect only to its VPC endpoints and its upstreams' CIDRs. " +
    "Egress anywhere lets a compromised task reach whatever a route exists to, and hides a missing upstream routing setting",
  fix:
    "Allow the specific destination: the upstream CIDRs (mesh.routing.cidrs or egressNetwork.upstreamRouting.cidrs in the fleet " +
    "file), the endpoint security group (referenced_security_group_id) or the S3 prefix list (prefix_list_id)",
  appliesTo: TYPES,
  evaluate(resource: ResourceConfig): RuleResult {
    if (resource.mode === "data" || !TYPES.includes(resource.type)) return NOT_APPLICABLE;
    const rules = securityGroupRules(resource, "egress");
    if (!rules) return NOT_APPLICABLE;
    return failIf(rules.flatMap((r) => r.cidrs.filter(isAnywhere).map((cidr) => `${r.where} to ${cidr}`)));
  },
});
