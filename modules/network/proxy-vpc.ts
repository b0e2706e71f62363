/**
 * The proxy VPC: private subnets only (no internet gateway, no NAT), the VPC endpoints a Farcar
 * needs to run without internet, and an optional transit-gateway route to the mesh.
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
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { policyDocument, renderPolicy, type PolicyDocument } from "../iam/policy-document";
import { privateVpc } from "./private-vpc";

/** Interface endpoints a Farcar task needs: image pulls, logs, STS, and its identity sources. */
// `lambda`: Farcar sidecars invoke the environment's SVID issuer (they no longer call acm-pca).
export const PROXY_INTERFACE_ENDPOINTS = ["ecr.api", "ecr.dkr", "logs", "sts", "secretsmanager", "lambda"] as const;

export interface ProxyVpcProps {
  /** Name prefix for resources and the `Name` tag. */
  readonly namePrefix: string;
  readonly region: string;
  readonly cidr: string;
  readonly availabilityZones: readonly string[];
  /**
   * Route to the parent mesh through a transit gateway (shared with this account).
   * @default - no route: Farcars reach only addresses inside the VPC
   */
  readonly meshRouting?: { readonly transitGatewayId: string; readonly cidrs: readonly string[] };
  /**
   * The account whose principals may use the VPC endpoints (endpoint policies): credentials of any
   * other account cannot be carried out through them.
   */
  readonly accountId: string;
}

/** Endpoint policy: only principals of `accountId` may use the endpoint. */
export function thisAccountOnlyEndpointPolicy(accountId: string): PolicyDocument {
  return policyDocument({
    Sid: "OnlyThisAccountsPrincipals",
    Effect: "Allow",
    Principal: "*",
    Action: "*",
    Resource: "*",
    Condition: { StringEquals: { "aws:PrincipalAccount": accountId } },
  });
}

export class ProxyVpc extends Construct {
  public readonly vpc: Vpc;
  /** Private subnets, one per AZ, in the order of `availabilityZones`. */
  public readonly subnets: Subnet[];
  public readonly routeTable: RouteTable;
  /** Security group of the interface endpoints (443 from inside the VPC only). */
  public readonly endpointSecurityGroup: SecurityGroup;
  public readonly interfaceEndpoints: Record<(typeof PROXY_INTERFACE_ENDPOINTS)[number], VpcEndpoint>;
  public readonly s3Endpoint: VpcEndpoint;
  public readonly transitGatewayAttachment?: Ec2TransitGatewayVpcAttachment;

  constructor(scope: Construct, id: string, props: ProxyVpcProps) {
    super(scope, id);
    const name = (suffix: string) => ({ Name: `${props.namePrefix}-${suffix}` });

    ({ vpc: this.vpc, subnets: this.subnets } = privateVpc(this, {
      namePrefix: props.namePrefix,
      vpcName: "proxy",
      subnetName: "private",
      cidr: props.cidr,
      availabilityZones: props.availabilityZones,
    }));
    this.routeTable = new RouteTable(this, "private", { vpcId: this.vpc.id, tags: name("private") });
    this.subnets.forEach((subnet, i) => {
      const az = props.availabilityZones[i];
      new RouteTableAssociation(this, `private-${az}-routes`, { subnetId: subnet.id, routeTableId: this.routeTable.id });
    });

    this.endpointSecurityGroup = new SecurityGroup(this, "endpoints", {
      name: `${props.namePrefix}-endpoints`,
      description: "VPC interface endpoints: HTTPS from inside the proxy VPC only",
      vpcId: this.vpc.id,
      tags: name("endpoints"),
    });
    new VpcSecurityGroupIngressRule(this, "endpoints-https", {
      securityGroupId: this.endpointSecurityGroup.id,
      description: "HTTPS from the proxy VPC",
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
      cidrIpv4: props.cidr,
    });

    const endpoints = {} as Record<(typeof PROXY_INTERFACE_ENDPOINTS)[number], VpcEndpoint>;
    for (const service of PROXY_INTERFACE_ENDPOINTS) {
      endpoints[service] = new VpcEndpoint(this, `endpoint-${service.replace(".", "-")}`, {
        vpcId: this.vpc.id,
        serviceName: `com.amazonaws.${props.region}.${service}`,
        vpcEndpointType: "Interface",
        privateDnsEnabled: true,
        subnetIds: this.subnets.map((s) => s.id),
        securityGroupIds: [this.endpointSecurityGroup.id],
        policy: renderPolicy(thisAccountOnlyEndpointPolicy(props.accountId)),
        tags: name(service),
      });
    }
    this.interfaceEndpoints = endpoints;
    this.s3Endpoint = new VpcEndpoint(this, "endpoint-s3", {
      vpcId: this.vpc.id,
      serviceName: `com.amazonaws.${props.region}.s3`,
      vpcEndpointType: "Gateway",
      routeTableIds: [this.routeTable.id],
      policy: renderPolicy(thisAccountOnlyEndpointPolicy(props.accountId)),
      tags: name("s3"),
    });

    if (props.meshRouting) {
      const routing = props.meshRouting;
      this.transitGatewayAttachment = new Ec2TransitGatewayVpcAttachment(this, "mesh-attachment", {
        transitGatewayId: routing.transitGatewayId,
        vpcId: this.vpc.id,
        subnetIds: this.subnets.map((s) => s.id),
        dnsSupport: "enable",
        tags: name("mesh"),
      });
      for (const cidr of routing.cidrs) {
        new Route(this, `mesh-route-${cidr.replace(/[./]/g, "-")}`, {
          routeTableId: this.routeTable.id,
          destinationCidrBlock: cidr,
          transitGatewayId: routing.transitGatewayId,
          dependsOn: [this.transitGatewayAttachment],
        });
      }
    }
  }
}
