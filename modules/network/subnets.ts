/**
 * Subnet layout, computed at synth time so it is visible data in the Terraform (not a
 * `cidrsubnet()` call to read back): the VPC CIDR split into equal blocks, one per AZ.
 */
import ipaddr from "ipaddr.js";

/** `count` equal, consecutive subnets of `vpcCidr` (the smallest split that fits `count`). */
export function splitCidr(vpcCidr: string, count: number): string[] {
  const [addr, prefix] = ipaddr.parseCIDR(vpcCidr) as [ipaddr.IPv4, number];
  const newBits = Math.ceil(Math.log2(Math.max(count, 1)));
  const subPrefix = prefix + newBits;
  if (subPrefix > 28) throw new Error(`${vpcCidr} is too small for ${count} subnets (each would be smaller than /28)`);
  const base = ipv4ToInt(addr);
  const size = 2 ** (32 - subPrefix);
  return Array.from({ length: count }, (_, i) => `${intToIpv4(base + i * size)}/${subPrefix}`);
}

function ipv4ToInt(a: ipaddr.IPv4): number {
  return a.octets.reduce((n, o) => n * 256 + o, 0);
}

function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}
