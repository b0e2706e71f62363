/**
 * A VPC with one private subnet per AZ (no public IPs): the shape of every Farcar VPC. Built in
 * the caller's scope so construct IDs (and so Terraform addresses) stay those of the caller.
 */
import type { Construct } from "constructs";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { splitCidr } from "./subnets";

export interface PrivateVpcProps {
  readonly namePrefix: string;
  /** `Name` tag suffix of the VPC, e.g. `proxy`. */
  readonly vpcName: string;
  /** Construct ID and `Name` prefix of the subnets, e.g. `private` → `private-us-east-1a`. */
  readonly subnetName: string;
  readonly cidr: string;
  readonly availabilityZones: readonly string[];
}

export function privateVpc(scope: Construct, props: PrivateVpcProps): { vpc: Vpc; subnets: Subnet[] } {
  const tag = (suffix: string) => ({ Name: `${props.namePrefix}-${suffix}` });
  const vpc = new Vpc(scope, "vpc", { cidrBlock: props.cidr, enableDnsHostnames: true, enableDnsSupport: true, tags: tag(props.vpcName) });
  const cidrs = splitCidr(props.cidr, props.availabilityZones.length);
  const subnets = props.availabilityZones.map(
    (az, i) =>
      new Subnet(scope, `${props.subnetName}-${az}`, {
        vpcId: vpc.id,
        availabilityZone: az,
        cidrBlock: cidrs[i],
        mapPublicIpOnLaunch: false,
        tags: tag(`${props.subnetName}-${az}`),
      }),
  );
  return { vpc, subnets };
}
