/**
 * FC-SG-OPEN-INGRESS: no security group admits the whole internet (0.0.0.0/0 or ::/0).
 */
import { NOT_APPLICABLE, blocks, defineRule, failIf, show, strings, type ResourceConfig, type RuleResult } from "./rule";

const TYPES = ["aws_security_group", "aws_security_group_rule", "aws_vpc_security_group_ingress_rule"];

export const ec2NoOpenIngress = defineRule({
  id: "FC-SG-OPEN-INGRESS",
  description:
    "No ingress from 0.0.0.0/0 or ::/0 (any /0): aws_security_group inline ingress, aws_security_group_rule of type ingress, " +
    "aws_vpc_security_group_ingress_rule",
  why:
    "Nothing but X's NLB may reach X's Farcar and nothing but the acquisition's workloads may reach its execute-api " +
    "endpoint; an ingress from anywhere lets any host that gains a route reach them, bypassing the API's IAM check",
  fix:
    "Admit the specific source instead: the NLB's security group (referenced_security_group_id), the VPC CIDR, or the " +
    "acquisition caller CIDRs (network.acquisitionCallerCidrs in the fleet file)",
  appliesTo: TYPES,
  evaluate(resource: ResourceConfig): RuleResult {
    if (resource.mode === "data" || !TYPES.includes(resource.type)) return NOT_APPLICABLE;
    const rules = securityGroupRules(resource, "ingress");
    if (!rules) return NOT_APPLICABLE;
    return failIf(rules.flatMap((r) => r.cidrs.filter(isAnywhere).map((cidr) => `${r.where} (${r.ports}) from ${cidr}`)));
  },
});

/** A /0 prefix: every IPv4 or IPv6 address (0.0.0.0/0, ::/0, ::0/0, …). */
export function isAnywhere(cidr: string): boolean {
  return /\/0+$/.test(cidr.trim());
}

/** One rule of a security-group resource: where it sits, its protocol and ports, and its CIDRs (IPv4 then IPv6). */
export interface SecurityGroupRule {
  readonly where: string;
  readonly ports: string;
  readonly cidrs: readonly string[];
}

/**
 * The `direction` rules a security-group resource holds — the inline blocks of an
 * aws_security_group, an aws_security_group_rule of that type, or an
 * aws_vpc_security_group_<direction>_rule — or undefined when it holds none of that direction.
 * FC-SG-OPEN-INGRESS and FC-SG-OPEN-EGRESS both read rules through it.
 */
export function securityGroupRules(resource: ResourceConfig, direction: "ingress" | "egress"): SecurityGroupRule[] | undefined {
  const c = resource.config;
  if (resource.type === "aws_security_group") {
    return blocks(c[direction]).map((rule, i) => ({
      where: `${direction}[${i}]`,
      ports: portRange(rule.protocol, rule.from_port, rule.to_port),
      cidrs: [...strings(rule.cidr_blocks), ...strings(rule.ipv6_cidr_blocks)],
    }));
  }
  if (resource.type === "aws_security_group_rule") {
    if (c.type !== direction) return undefined;
    return [{ where: `${direction} rule`, ports: portRange(c.protocol, c.from_port, c.to_port), cidrs: [...strings(c.cidr_blocks), ...strings(c.ipv6_cidr_blocks)] }];
  }
  if (resource.type === `aws_vpc_security_group_${direction}_rule`) {
    return [{ where: `${direction} rule`, ports: portRange(c.ip_protocol, c.from_port, c.to_port), cidrs: [...strings(c.cidr_ipv4), ...strings(c.cidr_ipv6)] }];
  }
  return undefined;
}

function portRange(protocol: unknown, from: unknown, to: unknown): string {
  const p = protocol === "-1" || protocol === -1 ? "all protocols" : String(protocol ?? "?");
  if (from === undefined && to === undefined) return p;
  return from === to ? `${p} ${show(from)}` : `${p} ${show(from)}-${show(to)}`;
}
