/**
 * Network rules: FC-SG-OPEN-INGRESS, FC-SG-OPEN-EGRESS, FC-VPC-NO-PUBLIC, FC-NLB-SECURITY-GROUPS,
 * FC-VPCE-S3-PERIMETER.
 */
import type { TerraformStack } from "cdktf";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { SecurityGroupRule } from "@cdktf/provider-aws/lib/security-group-rule";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { ec2NoOpenIngress, isAnywhere } from "../../modules/rules/ec2-no-open-ingress";
import { ec2NoOpenEgress } from "../../modules/rules/ec2-no-open-egress";
import { nlbSecurityGroups } from "../../modules/rules/nlb-security-groups";
import { vpcNoPublicAccess } from "../../modules/rules/vpc-no-public-access";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { VpcEndpointPolicy } from "@cdktf/provider-aws/lib/vpc-endpoint-policy";
import { renderPolicy } from "../../modules/iam/policy-document";
import { executeApiEndpointPolicy } from "../../modules/network/acquisition-endpoint";
import { s3GatewayEndpointPolicy, thisAccountOnlyEndpointPolicy } from "../../modules/network/proxy-vpc";
import { iamNoWildcardPrincipal } from "../../modules/rules/iam-no-wildcard-principal";
import { vpceS3Perimeter } from "../../modules/rules/vpce-s3-perimeter";
import { compliant, evaluate, json, nonCompliant, notApplicable } from "./support";

describe("FC-SG-OPEN-INGRESS", () => {
  const ingressRule = (cidr: { cidrIpv4?: string; cidrIpv6?: string }) => (stack: TerraformStack) =>
    new VpcSecurityGroupIngressRule(stack, "rule", { securityGroupId: "sg-1", ipProtocol: "tcp", fromPort: 443, toPort: 443, ...cidr });

  test("passes ingress from a VPC CIDR and from a security group", () => {
    expect(evaluate(ec2NoOpenIngress, ingressRule({ cidrIpv4: "10.64.0.0/20" }))).toEqual(compliant);
    expect(
      evaluate(
        ec2NoOpenIngress,
        (stack) =>
          new VpcSecurityGroupIngressRule(stack, "rule", {
            securityGroupId: "sg-1",
            ipProtocol: "tcp",
            fromPort: 8080,
            toPort: 8080,
            referencedSecurityGroupId: "sg-2",
          })
      )
    ).toEqual(compliant);
  });

  test("fails aws_vpc_security_group_ingress_rule from 0.0.0.0/0 or ::/0", () => {
    expect(evaluate(ec2NoOpenIngress, ingressRule({ cidrIpv4: "0.0.0.0/0" }))).toEqual(
      nonCompliant("ingress rule (tcp 443) from 0.0.0.0/0")
    );
    expect(evaluate(ec2NoOpenIngress, ingressRule({ cidrIpv6: "::/0" }))).toEqual(nonCompliant("ingress rule (tcp 443) from ::/0"));
  });

  test("fails inline ingress of an aws_security_group, passes its egress to anywhere", () => {
    const result = evaluate(
      ec2NoOpenIngress,
      (stack) =>
        new SecurityGroup(stack, "sg", {
          vpcId: "vpc-1",
          ingress: [
            { protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["10.0.0.0/8"] },
            { protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"] },
          ],
          egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
        })
    );
    expect(result).toEqual(nonCompliant("ingress[1] (all protocols 0) from 0.0.0.0/0; ingress[1] (all protocols 0) from ::/0"));
    expect(evaluate(ec2NoOpenIngress, (stack) => new SecurityGroup(stack, "sg", { vpcId: "vpc-1" }))).toEqual(compliant);
  });

  test("fails an aws_security_group_rule of type ingress, not one of type egress", () => {
    const rule = (type: string) => (stack: TerraformStack) =>
      new SecurityGroupRule(stack, "rule", {
        securityGroupId: "sg-1",
        type,
        protocol: "tcp",
        fromPort: 22,
        toPort: 22,
        cidrBlocks: ["0.0.0.0/0"],
      });
    expect(evaluate(ec2NoOpenIngress, rule("ingress"))).toEqual(nonCompliant("ingress rule (tcp 22) from 0.0.0.0/0"));
    expect(evaluate(ec2NoOpenIngress, rule("egress"))).toEqual(notApplicable);
  });

  test("does not apply to egress rules", () => {
    expect(
      evaluate(
        ec2NoOpenIngress,
        (stack) =>
          new VpcSecurityGroupEgressRule(stack, "rule", {
            securityGroupId: "sg-1",
            ipProtocol: "tcp",
            fromPort: 8443,
            toPort: 8443,
            cidrIpv4: "0.0.0.0/0",
          })
      )
    ).toEqual(notApplicable);
  });

  test.each([
    ["0.0.0.0/0", true],
    ["::/0", true],
    ["::0/0", true],
    ["10.0.0.0/8", false],
    ["0.0.0.0/1", false],
  ])("isAnywhere(%s) is %s", (cidr, expected) => {
    expect(isAnywhere(cidr)).toBe(expected);
  });
});

describe("FC-VPC-NO-PUBLIC", () => {
  test("passes a private subnet, an ECS service without public IP, an internal NLB and a private NAT gateway", () => {
    expect(
      evaluate(
        vpcNoPublicAccess,
        (stack) => new Subnet(stack, "s", { vpcId: "vpc-1", cidrBlock: "10.64.0.0/24", mapPublicIpOnLaunch: false })
      )
    ).toEqual(compliant);
    expect(
      evaluate(
        vpcNoPublicAccess,
        (stack) => new EcsService(stack, "svc", { name: "s", networkConfiguration: { subnets: ["subnet-1"], assignPublicIp: false } })
      )
    ).toEqual(compliant);
    expect(evaluate(vpcNoPublicAccess, (stack) => new Lb(stack, "nlb", { loadBalancerType: "network", internal: true }))).toEqual(
      compliant
    );
    expect(
      evaluate(vpcNoPublicAccess, (stack) => new NatGateway(stack, "nat", { subnetId: "subnet-1", connectivityType: "private" }))
    ).toEqual(compliant);
  });

  test("fails an internet gateway and an Elastic IP by their existence", () => {
    expect(evaluate(vpcNoPublicAccess, (stack) => new InternetGateway(stack, "igw", { vpcId: "vpc-1" }))).toEqual(
      nonCompliant("an internet gateway in a proxy account")
    );
    expect(evaluate(vpcNoPublicAccess, (stack) => new Eip(stack, "eip", { domain: "vpc" }))).toEqual(
      nonCompliant("an Elastic IP (public address) in a proxy account")
    );
  });

  test("fails a public NAT gateway (the default connectivity)", () => {
    expect(
      evaluate(vpcNoPublicAccess, (stack) => new NatGateway(stack, "nat", { subnetId: "subnet-1", allocationId: "eipalloc-1" }))
    ).toEqual(nonCompliant('NAT gateway with connectivity_type "public"'));
  });

  test("fails a subnet that maps public IPs and an ECS service that assigns one", () => {
    expect(
      evaluate(
        vpcNoPublicAccess,
        (stack) => new Subnet(stack, "s", { vpcId: "vpc-1", cidrBlock: "10.64.0.0/24", mapPublicIpOnLaunch: true })
      )
    ).toEqual(nonCompliant("subnet has map_public_ip_on_launch = true"));
    expect(
      evaluate(
        vpcNoPublicAccess,
        (stack) => new EcsService(stack, "svc", { name: "s", networkConfiguration: { subnets: ["subnet-1"], assignPublicIp: true } })
      )
    ).toEqual(nonCompliant("ECS service has network_configuration.assign_public_ip = true"));
  });

  test("fails a load balancer that is internet-facing (internal unset defaults to false)", () => {
    expect(evaluate(vpcNoPublicAccess, (stack) => new Lb(stack, "alb", { loadBalancerType: "application" }))).toEqual(
      nonCompliant("load balancer is internet-facing (internal = unset)")
    );
  });
});

describe("FC-NLB-SECURITY-GROUPS", () => {
  test("passes an NLB with a security group", () => {
    expect(
      evaluate(nlbSecurityGroups, (stack) => {
        const sg = new SecurityGroup(stack, "sg", { vpcId: "vpc-1" });
        return new Lb(stack, "nlb", { loadBalancerType: "network", internal: true, securityGroups: [sg.id] });
      })
    ).toEqual(compliant);
  });

  test("fails an NLB without security groups (the article's gap)", () => {
    expect(evaluate(nlbSecurityGroups, (stack) => new Lb(stack, "nlb", { loadBalancerType: "network", internal: true }))).toEqual(
      nonCompliant("network load balancer has no security_groups")
    );
    expect(
      evaluate(nlbSecurityGroups, (stack) => new Lb(stack, "nlb", { loadBalancerType: "network", internal: true, securityGroups: [] }))
    ).toEqual(nonCompliant("network load balancer has no security_groups"));
  });

  test("does not apply to application load balancers", () => {
    expect(evaluate(nlbSecurityGroups, (stack) => new Lb(stack, "alb", { loadBalancerType: "application", internal: true }))).toEqual(
      notApplicable
    );
  });
});

describe("FC-VPCE-S3-PERIMETER", () => {
  const ACCOUNT = "222222222222";
  const LAYERS = "arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*";
  const s3Endpoint = (policy?: string, serviceName = "com.amazonaws.us-east-1.s3") => (stack: TerraformStack) =>
    new VpcEndpoint(stack, "s3", { vpcId: "vpc-1", serviceName, vpcEndpointType: "Gateway", routeTableIds: ["rtb-1"], policy });
  /** The generated policy with one more statement. */
  const withExtra = (statement: object) =>
    json({ ...s3GatewayEndpointPolicy(ACCOUNT, "aws", "us-east-1"), Statement: [...s3GatewayEndpointPolicy(ACCOUNT, "aws", "us-east-1").Statement, statement] });

  test("passes the generated S3 endpoint policy: this account, plus GetObject on the region's ECR layer bucket", () => {
    const policy = renderPolicy(s3GatewayEndpointPolicy(ACCOUNT, "aws", "us-east-1"));
    expect(evaluate(vpceS3Perimeter, s3Endpoint(policy))).toEqual(compliant);
    // ... and FC-IAM-WILDCARD-PRINCIPAL, which accepts account-limited endpoint statements, still holds for it.
    expect(evaluate(iamNoWildcardPrincipal, s3Endpoint(policy))).toEqual(compliant);
    expect(JSON.parse(policy).Statement).toContainEqual({ Sid: "EcrImageLayers", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: LAYERS });
  });

  test("passes the GovCloud layer bucket ARN for a GovCloud endpoint", () => {
    const policy = renderPolicy(s3GatewayEndpointPolicy(ACCOUNT, "aws-us-gov", "us-gov-west-1"));
    expect(evaluate(vpceS3Perimeter, s3Endpoint(policy, "com.amazonaws.us-gov-west-1.s3"))).toEqual(compliant);
  });

  test("passes the stricter account-only policy; fails an S3 endpoint without a policy (the default allows everything)", () => {
    expect(evaluate(vpceS3Perimeter, s3Endpoint(renderPolicy(thisAccountOnlyEndpointPolicy(ACCOUNT))))).toEqual(compliant);
    expect(evaluate(vpceS3Perimeter, s3Endpoint(undefined))).toEqual(
      nonCompliant("policy is unset: the default endpoint policy allows every principal on every bucket"),
    );
  });

  test("accepts exactly the ECR exception: another bucket, another region's layer bucket or another action fails", () => {
    const reason = (sid: string, action: string, resource: string) =>
      nonCompliant(
        `policy statement "${sid}" allows ${JSON.stringify([action])} on ${JSON.stringify([resource])} without limiting principals to named accounts, ` +
          "and it is not the ECR layer exception (s3:GetObject on arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*)",
      );
    const extra = (Sid: string, Action: string, Resource: string) => withExtra({ Sid, Effect: "Allow", Principal: "*", Action, Resource });
    expect(evaluate(vpceS3Perimeter, s3Endpoint(extra("Other", "s3:GetObject", "arn:aws:s3:::someone-elses-bucket/*")))).toEqual(
      reason("Other", "s3:GetObject", "arn:aws:s3:::someone-elses-bucket/*"),
    );
    // FC-IAM-WILDCARD-PRINCIPAL alone would have let that one through (a named bucket looks specific).
    expect(evaluate(iamNoWildcardPrincipal, s3Endpoint(extra("Other", "s3:GetObject", "arn:aws:s3:::someone-elses-bucket/*")))).toEqual(compliant);
    expect(evaluate(vpceS3Perimeter, s3Endpoint(extra("Write", "s3:PutObject", LAYERS)))).toEqual(reason("Write", "s3:PutObject", LAYERS));
    expect(evaluate(vpceS3Perimeter, s3Endpoint(extra("All", "s3:*", LAYERS)))).toEqual(reason("All", "s3:*", LAYERS));
    const west = "arn:aws:s3:::prod-us-west-2-starport-layer-bucket/*";
    expect(evaluate(vpceS3Perimeter, s3Endpoint(extra("West", "s3:GetObject", west)))).toEqual(reason("West", "s3:GetObject", west));
    expect(evaluate(vpceS3Perimeter, s3Endpoint(extra("AnyRegion", "s3:GetObject", "arn:aws:s3:::prod-*-starport-layer-bucket/*")))).toMatchObject({
      compliance: "non-compliant",
    });
  });

  test("holds a separate aws_vpc_endpoint_policy that grants S3 actions to the same form; ignores execute-api endpoint policies", () => {
    const policyResource = (policy: string) => (stack: TerraformStack) => new VpcEndpointPolicy(stack, "p", { vpcEndpointId: "vpce-1", policy });
    expect(
      evaluate(vpceS3Perimeter, policyResource(json({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:*", Resource: "arn:aws:s3:::b/*" }] }))),
    ).toMatchObject({ compliance: "non-compliant" });
    expect(evaluate(vpceS3Perimeter, policyResource(renderPolicy(s3GatewayEndpointPolicy(ACCOUNT, "aws", "us-east-1"))))).toEqual(compliant);
    expect(evaluate(vpceS3Perimeter, policyResource(renderPolicy(executeApiEndpointPolicy("arn:aws:execute-api:us-east-1:222222222222:abc"))))).toEqual(
      notApplicable,
    );
  });

  test("does not apply to interface endpoints of other services", () => {
    expect(evaluate(vpceS3Perimeter, s3Endpoint(undefined, "com.amazonaws.us-east-1.ecr.dkr"))).toEqual(notApplicable);
  });
});

describe("FC-SG-OPEN-EGRESS", () => {
  const egressRule = (cidr: { cidrIpv4?: string; cidrIpv6?: string; prefixListId?: string }) => (stack: TerraformStack) =>
    new VpcSecurityGroupEgressRule(stack, "rule", { securityGroupId: "sg-1", ipProtocol: "tcp", fromPort: 8443, toPort: 8443, ...cidr });

  test("passes egress to an upstream CIDR and to a prefix list", () => {
    expect(evaluate(ec2NoOpenEgress, egressRule({ cidrIpv4: "10.0.0.0/12" }))).toEqual(compliant);
    expect(evaluate(ec2NoOpenEgress, egressRule({ prefixListId: "pl-63a5400a" }))).toEqual(compliant);
  });

  test("fails egress to 0.0.0.0/0 or ::/0 (the old fallback when no upstream routing was set)", () => {
    expect(evaluate(ec2NoOpenEgress, egressRule({ cidrIpv4: "0.0.0.0/0" }))).toEqual(nonCompliant("egress rule to 0.0.0.0/0"));
    expect(evaluate(ec2NoOpenEgress, egressRule({ cidrIpv6: "::/0" }))).toEqual(nonCompliant("egress rule to ::/0"));
  });

  test("fails inline egress of an aws_security_group and an aws_security_group_rule of type egress, not ingress", () => {
    expect(
      evaluate(
        ec2NoOpenEgress,
        (stack) =>
          new SecurityGroup(stack, "sg", { egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }] }),
      ),
    ).toEqual(nonCompliant("egress[0] to 0.0.0.0/0"));
    const rule = (type: string) => (stack: TerraformStack) =>
      new SecurityGroupRule(stack, "r", { type, securityGroupId: "sg-1", protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] });
    expect(evaluate(ec2NoOpenEgress, rule("egress"))).toEqual(nonCompliant("egress rule to 0.0.0.0/0"));
    expect(evaluate(ec2NoOpenEgress, rule("ingress"))).toEqual(notApplicable);
  });
});
