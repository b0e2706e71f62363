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
    const c = resource.config;
    const reasons: string[] = [];
    const check = (what: string, cidrs: unknown) => {
      for (const cidr of strings(cidrs).filter(isAnywhere)) reasons.push(`${what} from ${cidr}`);
    };
    if (resource.type === "aws_security_group") {
      blocks(c.ingress).forEach((rule, i) => {
        const what = `ingress[${i}] (${portRange(rule.protocol, rule.from_port, rule.to_port)})`;
        check(what, rule.cidr_blocks);
        check(what, rule.ipv6_cidr_blocks);
      });
    } else if (resource.type === "aws_security_group_rule") {
      if (c.type !== "ingress") return NOT_APPLICABLE;
      const what = `ingress rule (${portRange(c.protocol, c.from_port, c.to_port)})`;
      check(what, c.cidr_blocks);
      check(what, c.ipv6_cidr_blocks);
    } else {
      const what = `ingress rule (${portRange(c.ip_protocol, c.from_port, c.to_port)})`;
      check(what, c.cidr_ipv4);
      check(what, c.cidr_ipv6);
    }
    return failIf(reasons);
  },
});

/** A /0 prefix: every IPv4 or IPv6 address (0.0.0.0/0, ::/0, ::0/0, …). */
export function isAnywhere(cidr: string): boolean {
  return /\/0+$/.test(cidr.trim());
}

function portRange(protocol: unknown, from: unknown, to: unknown): string {
  const p = protocol === "-1" || protocol === -1 ? "all protocols" : String(protocol ?? "?");
  if (from === undefined && to === undefined) return p;
  return from === to ? `${p} ${show(from)}` : `${p} ${show(from)}-${show(to)}`;
}
