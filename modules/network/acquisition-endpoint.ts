/**
 * The per-acquisition VPC (inside the parent org, in the proxy account) hosting the `execute-api`
 * interface endpoint through which acquisition services reach the private API. Nothing else runs
 * in this VPC; its endpoint admits HTTPS only from the acquisition CIDRs in the fleet file, which
 * reach it through a transit gateway attachment (`callerRouting`) or a connection made outside
 * Farcar (routes in `routeTable`).
 */
import { Construct } from "constructs";
import { Ec2TransitGatewayVpcAttachment } from "@cdktf/provider-aws/lib/ec2-transit-gateway-vpc-attachment";
import { Route } from "@cdktf/provider-aws/lib/route";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import type { Subnet } from "@cdktf/provider-aws/lib/subnet";
import type { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { VpcEndpointPolicy } from "@cdktf/provider-aws/lib/vpc-endpoint-policy";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { policyDocument, renderPolicy, type PolicyDocument } from "../iam/policy-document";
import { privateVpc } from "./private-vpc";

export interface AcquisitionEndpointProps {
  readonly namePrefix: string;
  readonly region: string;
  readonly cidr: string;
  readonly availabilityZones: readonly string[];
  /** CIDRs of the caller workloads allowed to reach the endpoint on 443. */
  readonly callerCidrs: readonly string[];
  /**
   * Route to the callers through a transit gateway (shared with this account): the VPC is attached
   * and every `callerCidrs` block is routed through it, so responses find their way back.
   * @default - no attachment: the VPC is connected to the callers outside Farcar (peering…), with
   *   routes in `routeTable`
   */
  readonly callerRouting?: { readonly transitGatewayId: string };
  /**
   * `Name` tag suffix of the VPC.
   * @default "acquisition" (the ingress direction: acquisition services are the callers)
   */
  readonly vpcName?: string;
}

/**
 * Endpoint policy: this endpoint can only be used to invoke the given APIs (an API's execution ARN,
 * or `arn:…:execute-api:{region}:{proxy-account}:*` for every API of the proxy account, which holds
 * only this direction's Farcar APIs: help/scaling.md), so it is no general door into other private
 * APIs; and, when `callerAccounts` is given, only with credentials of those accounts
 * (`aws:PrincipalAccount`), so nobody can carry another account's credentials through it.
 */
export function executeApiEndpointPolicy(apiExecutionArn: string, callerAccounts: readonly string[] = []): PolicyDocument {
  return policyDocument({
    Sid: "InvokeThisEnvironmentsApiOnly",
    Effect: "Allow",
    Principal: "*",
    Action: "execute-api:Invoke",
    Resource: `${apiExecutionArn}/*`,
    ...(callerAccounts.length ? { Condition: { StringEquals: { "aws:PrincipalAccount": [...new Set(callerAccounts)].sort() } } } : {}),
  });
}

export class AcquisitionEndpoint extends Construct {
  public readonly vpc: Vpc;
  public readonly subnets: Subnet[];
  public readonly securityGroup: SecurityGroup;
  public readonly endpoint: VpcEndpoint;
  /** Route table of the endpoint subnets (routes back to the callers go here). */
  public readonly routeTable: RouteTable;
  public readonly transitGatewayAttachment?: Ec2TransitGatewayVpcAttachment;

  constructor(scope: Construct, id: string, props: AcquisitionEndpointProps) {
    super(scope, id);
    const name = (suffix: string) => ({ Name: `${props.namePrefix}-${suffix}` });
    ({ vpc: this.vpc, subnets: this.subnets } = privateVpc(this, {
      namePrefix: props.namePrefix,
      vpcName: props.vpcName ?? "acquisition",
      subnetName: "endpoint",
      cidr: props.cidr,
      availabilityZones: props.availabilityZones,
    }));
    this.routeTable = new RouteTable(this, "endpoint-routes", { vpcId: this.vpc.id, tags: name("endpoint") });
    this.subnets.forEach((subnet, i) => {
      new RouteTableAssociation(this, `endpoint-${props.availabilityZones[i]}-routes`, { subnetId: subnet.id, routeTableId: this.routeTable.id });
    });
    if (props.callerRouting) {
      const transitGatewayId = props.callerRouting.transitGatewayId;
      this.transitGatewayAttachment = new Ec2TransitGatewayVpcAttachment(this, "caller-attachment", {
        transitGatewayId,
        vpcId: this.vpc.id,
        subnetIds: this.subnets.map((s) => s.id),
        dnsSupport: "enable",
        tags: name("callers"),
      });
      for (const cidr of props.callerCidrs) {
        new Route(this, `caller-route-${cidr.replace(/[./]/g, "-")}`, {
          routeTableId: this.routeTable.id,
          destinationCidrBlock: cidr,
          transitGatewayId,
          dependsOn: [this.transitGatewayAttachment],
        });
      }
    }
    this.securityGroup = new SecurityGroup(this, "execute-api", {
      name: `${props.namePrefix}-execute-api`,
      description: "execute-api endpoint: HTTPS from the callers' workload CIDRs only",
      vpcId: this.vpc.id,
      tags: name("execute-api"),
    });
    for (const cidr of props.callerCidrs) {
      new VpcSecurityGroupIngressRule(this, `https-from-${cidr.replace(/[./]/g, "-")}`, {
        securityGroupId: this.securityGroup.id,
        description: `HTTPS from caller workloads ${cidr}`,
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
        cidrIpv4: cidr,
      });
    }
    this.endpoint = new VpcEndpoint(this, "execute-api-endpoint", {
      vpcId: this.vpc.id,
      serviceName: `com.amazonaws.${props.region}.execute-api`,
      vpcEndpointType: "Interface",
      privateDnsEnabled: true,
      subnetIds: this.subnets.map((s) => s.id),
      securityGroupIds: [this.securityGroup.id],
      tags: name("execute-api"),
    });
  }

  /**
   * Limit the endpoint to the given APIs and caller accounts (executeApiEndpointPolicy). A separate
   * resource: the APIs' policies also name this endpoint.
   */
  public restrictTo(apiExecutionArn: string, callerAccounts: readonly string[] = []): VpcEndpointPolicy {
    return new VpcEndpointPolicy(this, "execute-api-endpoint-policy", {
      vpcEndpointId: this.endpoint.id,
      policy: renderPolicy(executeApiEndpointPolicy(apiExecutionArn, callerAccounts)),
    });
  }
}
