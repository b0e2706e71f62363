/**
 * One shared Network Load Balancer of a direction (help/scaling.md, "NLBs shared by listener"):
 * the NLB, its security group, the "members" security group its Farcar tasks carry, and its own
 * v1 VPC link. Up to 50 Farcars use it, each with its own listener port (the slot lock,
 * config/lock.ts) forwarding to its own target group (FarcarService).
 *
 * Network paths, closed by default:
 *   - the NLB's group has no inbound rules: traffic arrives only through the VPC link (PrivateLink;
 *     `enforce_security_group_inbound_rules_on_private_link_traffic = off`, so the VPC link's
 *     traffic is not filtered by inbound rules, and nothing else may come in);
 *   - it may send only to the members group, and only on the Farcar container ports (traffic and
 *     health), two rules per port per NLB instead of two per service (a group's default is 60
 *     rules: https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html#vpc-limits-security-groups);
 *   - the members group admits only this NLB's group, on the same ports. A Farcar task carries
 *     the members group of its own NLB only, so no other NLB can reach it.
 */
import { Construct } from "constructs";
import { ApiGatewayVpcLink } from "@cdktf/provider-aws/lib/api-gateway-vpc-link";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";

export interface SharedNlbProps {
  /** Readable name of the NLB's groups and VPC link, e.g. `farcar-afterpay-staging-ingress-nlb-0`. */
  readonly name: string;
  /** The NLB's name (≤ 32 characters, config/names.ts sharedNlbName). */
  readonly nlbName: string;
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
}

export class SharedNlb extends Construct {
  public readonly nlb: Lb;
  /** The NLB's own group: no inbound rules, outbound to `membersSecurityGroup` on the Farcar ports. */
  public readonly securityGroup: SecurityGroup;
  /** Carried by the tasks of every Farcar on this NLB: admits this NLB's group only. */
  public readonly membersSecurityGroup: SecurityGroup;
  public readonly vpcLink: ApiGatewayVpcLink;
  private readonly admitted = new Set<number>();

  constructor(scope: Construct, id: string, props: SharedNlbProps) {
    super(scope, id);
    this.securityGroup = new SecurityGroup(this, "nlb-sg", {
      name: `${props.name}`,
      description: `Shared NLB ${props.nlbName}: no inbound rules (VPC link only); outbound to its Farcar tasks`,
      vpcId: props.vpcId,
      tags: { Name: props.name },
    });
    this.membersSecurityGroup = new SecurityGroup(this, "members-sg", {
      name: `${props.name}-members`,
      description: `Farcar tasks behind shared NLB ${props.nlbName}: inbound from that NLB only`,
      vpcId: props.vpcId,
      tags: { Name: `${props.name}-members` },
    });
    this.nlb = new Lb(this, "nlb", {
      name: props.nlbName,
      loadBalancerType: "network",
      internal: true,
      subnets: [...props.subnetIds],
      securityGroups: [this.securityGroup.id],
      enforceSecurityGroupInboundRulesOnPrivateLinkTraffic: "off",
      enableCrossZoneLoadBalancing: true,
      enableDeletionProtection: false,
    });
    this.vpcLink = new ApiGatewayVpcLink(this, "vpc-link", {
      name: props.name,
      description: `API Gateway to the Farcars behind ${props.nlbName}`,
      targetArns: [this.nlb.arn],
    });
  }

  /**
   * Let this NLB reach its members on `port` (a Farcar container port: traffic or health). Once per
   * port, whatever the number of members, so the rules do not change when a member is added.
   */
  public admit(port: number): void {
    if (this.admitted.has(port)) return;
    this.admitted.add(port);
    new VpcSecurityGroupEgressRule(this, `to-members-${port}`, {
      securityGroupId: this.securityGroup.id,
      description: `Farcar port ${port} to the tasks behind this NLB`,
      ipProtocol: "tcp",
      fromPort: port,
      toPort: port,
      referencedSecurityGroupId: this.membersSecurityGroup.id,
    });
    new VpcSecurityGroupIngressRule(this, `members-from-nlb-${port}`, {
      securityGroupId: this.membersSecurityGroup.id,
      description: `Farcar port ${port} from the shared NLB`,
      ipProtocol: "tcp",
      fromPort: port,
      toPort: port,
      referencedSecurityGroupId: this.securityGroup.id,
    });
  }
}
