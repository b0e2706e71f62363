/**
 * FC-VPC-NO-PUBLIC: proxy VPCs have no route to or from the internet — no internet gateway, no
 * public IP on anything, no internet-facing load balancer. (Every VPC Farcar renders is a proxy
 * account VPC: the proxy VPC and the per-acquisition endpoint VPC.)
 */
import { NOT_APPLICABLE, block, defineRule, failIf, isTrue, show, type ResourceConfig, type RuleResult } from "./rule";

/** Resources whose mere presence gives a VPC internet connectivity or a public address. */
const PUBLIC_BY_EXISTENCE: Record<string, string> = {
  aws_internet_gateway: "an internet gateway",
  aws_internet_gateway_attachment: "an internet gateway attachment",
  aws_egress_only_internet_gateway: "an egress-only internet gateway (IPv6 to the internet)",
  aws_eip: "an Elastic IP (public address)",
  aws_eip_association: "an Elastic IP association (public address)",
};

const TYPES = [
  ...Object.keys(PUBLIC_BY_EXISTENCE),
  "aws_nat_gateway",
  "aws_subnet",
  "aws_ecs_service",
  "aws_instance",
  "aws_lb",
  "aws_alb",
];

export const vpcNoPublicAccess = defineRule({
  id: "FC-VPC-NO-PUBLIC",
  description:
    "No aws_internet_gateway, egress-only gateway, aws_eip or public aws_nat_gateway; no subnet with map_public_ip_on_launch, " +
    "ECS service with assign_public_ip or instance with associate_public_ip_address; every load balancer internal",
  why:
    "A Farcar holds a mesh identity: its only way in must be the private API and its only ways out the VPC endpoints and " +
    "the mesh route. An internet path in either direction lets traffic reach it around the API's IAM check, or lets a " +
    "compromised task send its credentials and certificates out",
  fix:
    "Remove the gateway or public address; reach AWS services through VPC endpoints (modules/network/proxy-vpc.ts) and the " +
    'mesh through the transit gateway route; set internal = true on load balancers; a NAT gateway must be connectivity_type = "private"',
  appliesTo: TYPES,
  evaluate(resource: ResourceConfig): RuleResult {
    if (resource.mode === "data" || !TYPES.includes(resource.type)) return NOT_APPLICABLE;
    const c = resource.config;
    const existence = PUBLIC_BY_EXISTENCE[resource.type];
    if (existence) return failIf([`${existence} in a proxy account`]);
    switch (resource.type) {
      case "aws_nat_gateway":
        return failIf(
          c.connectivity_type === "private" ? [] : [`NAT gateway with connectivity_type ${show(c.connectivity_type ?? "public")}`]
        );
      case "aws_subnet":
        return failIf(isTrue(c.map_public_ip_on_launch) ? ["subnet has map_public_ip_on_launch = true"] : []);
      case "aws_ecs_service":
        return failIf(
          isTrue(block(c.network_configuration)?.assign_public_ip) ? ["ECS service has network_configuration.assign_public_ip = true"] : []
        );
      case "aws_instance":
        return failIf(isTrue(c.associate_public_ip_address) ? ["instance has associate_public_ip_address = true"] : []);
      default:
        // aws_lb / aws_alb: internal defaults to false (internet-facing).
        return failIf(isTrue(c.internal) ? [] : [`load balancer is internet-facing (internal = ${show(c.internal)})`]);
    }
  },
});
