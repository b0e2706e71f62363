/**
 * Network rules: FC-SG-OPEN-INGRESS, FC-VPC-NO-PUBLIC, FC-NLB-SECURITY-GROUPS.
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
import { nlbSecurityGroups } from "../../modules/rules/nlb-security-groups";
import { vpcNoPublicAccess } from "../../modules/rules/vpc-no-public-access";
import { compliant, evaluate, nonCompliant, notApplicable } from "./support";

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
