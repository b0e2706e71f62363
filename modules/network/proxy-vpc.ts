/**
 * The proxy VPC: private subnets only (no internet gateway, no NAT), the VPC endpoints a Farcar
 * needs to run without internet, an optional transit-gateway route to the upstreams (the mesh, or
 * the acquisition for egress) and the private DNS that resolves their names.
 */
import { Construct } from "constructs";
import { Ec2TransitGatewayVpcAttachment } from "@cdktf/provider-aws/lib/ec2-transit-gateway-vpc-attachment";
import { Route } from "@cdktf/provider-aws/lib/route";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { Route53ResolverRuleAssociation } from "@cdktf/provider-aws/lib/route53-resolver-rule-association";
import { Route53ZoneAssociation } from "@cdktf/provider-aws/lib/route53-zone-association";
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
   * Where the Farcars' upstreams are (the mesh for ingress, the acquisition for egress). With a
   * transit gateway (shared with this account), the VPC is attached to it and `cidrs` are routed
   * through it; without one the route is managed outside Farcar (peering, Cloud WAN…) in
   * `routeTable`.
   * @default - no attachment and no route
   */
  readonly meshRouting?: { readonly transitGatewayId?: string; readonly cidrs: readonly string[] };
  /**
   * Private DNS the Farcars resolve upstream names with: Route 53 Resolver rules (shared with this
   * account through AWS RAM) and private hosted zones, each associated with the VPC. Envoy's
   * STRICT_DNS clusters use the VPC's Amazon-provided resolver, which answers from exactly these.
   * A zone of another account needs `aws route53 create-vpc-association-authorization` by the
   * zone's owner first (help/fleet-file.md, `mesh.dns`).
   * @default - none: only public names and names of zones already associated resolve
   */
  readonly dns?: { readonly resolverRuleIds: readonly string[]; readonly hostedZoneIds: readonly string[] };
  /**
   * The account whose principals may use the VPC endpoints (endpoint policies): credentials of any
   * other account cannot be carried out through them.
   */
  readonly accountId: string;
  /**
   * AWS partition of `region` (ARNs in endpoint policies).
   * @default "aws"
   */
  readonly partition?: string;
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

/**
 * The AWS-owned S3 bucket ECR serves image layers from in `region`. `docker pull` (and Fargate's
 * image pull) fetches each layer with a presigned URL of an AWS account, so a data-perimeter
 * condition on the caller's account can never match it. AWS: ECR user guide, "Amazon ECR interface
 * VPC endpoints (AWS PrivateLink)" → "Minimum Amazon S3 bucket permissions for Amazon ECR"
 * (https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html), and AWS's data
 * perimeter examples (aws-samples/data-perimeter-policy-examples,
 * vpc_endpoint_policies/s3_endpoint_policy.json, statement "AllowRequestsToAWSOwnedResources"):
 * `s3:GetObject` on `arn:aws:s3:::prod-<region>-starport-layer-bucket/*`, no condition.
 */
export function ecrLayerBucketObjectsArn(partition: string, region: string): string {
  return `arn:${partition}:s3:::prod-${region}-starport-layer-bucket/*`;
}

/**
 * S3 gateway endpoint policy: this account's principals, plus reading ECR image layers from the
 * region's AWS-owned layer bucket (nothing else of any other account). Without the second
 * statement every Fargate task fails with CannotPullContainerError. FC-VPCE-S3-PERIMETER accepts
 * exactly this form.
 */
export function s3GatewayEndpointPolicy(accountId: string, partition: string, region: string): PolicyDocument {
  return policyDocument(...thisAccountOnlyEndpointPolicy(accountId).Statement, {
      Sid: "EcrImageLayers",
      Effect: "Allow",
      Principal: "*",
      Action: "s3:GetObject",
      Resource: ecrLayerBucketObjectsArn(partition, region),
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
  public readonly resolverRuleAssociations: Route53ResolverRuleAssociation[] = [];
  public readonly zoneAssociations: Route53ZoneAssociation[] = [];

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
      policy: renderPolicy(s3GatewayEndpointPolicy(props.accountId, props.partition ?? "aws", props.region)),
      tags: name("s3"),
    });

    // Construct IDs from the IDs themselves (stable when the lists are reordered).
    for (const ruleId of props.dns?.resolverRuleIds ?? []) {
      this.resolverRuleAssociations.push(
        new Route53ResolverRuleAssociation(this, `dns-rule-${ruleId}`, { resolverRuleId: ruleId, vpcId: this.vpc.id, name: `${props.namePrefix}-proxy` }),
      );
    }
    for (const zoneId of props.dns?.hostedZoneIds ?? []) {
      this.zoneAssociations.push(new Route53ZoneAssociation(this, `dns-zone-${zoneId}`, { zoneId, vpcId: this.vpc.id, vpcRegion: props.region }));
    }

    if (props.meshRouting?.transitGatewayId) {
      const routing = { ...props.meshRouting, transitGatewayId: props.meshRouting.transitGatewayId };
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
