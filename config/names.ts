/**
 * Every derived name in one place: stack names, AWS resource names with length limits, SPIFFE IDs.
 *
 * Names AWS limits (NLB and target group names ≤ 32 characters) are derived deterministically:
 * the readable name when it fits, otherwise a readable prefix plus a short hash of the full name,
 * never a bare truncation (two long names must not collide).
 */
import { createHash } from "node:crypto";

export type StackKind = "ingress" | "egress";

export const ORG_STACK = "org";

export function stackName(acquisition: string, environment: string, kind: StackKind): string {
  return `${acquisition}-${environment}-${kind}`;
}

/**
 * The stack holding the ECR repositories of a proxy stack's account (`<proxy stack>-images`),
 * applied, and its images pushed, before the proxy stack (help/first-deployment.md).
 */
export function imagesStackName(acquisition: string, environment: string, kind: StackKind): string {
  return `${stackName(acquisition, environment, kind)}-images`;
}

/** Short stable hash of `text` (hex, `length` chars). */
export function shortHash(text: string, length = 6): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length);
}

/**
 * `parts` joined with '-', limited to `maxLength`. When too long, the readable head is kept and a
 * hash of the whole name is appended, so distinct inputs give distinct names.
 */
export function limitedName(parts: string[], maxLength: number): string {
  const full = parts.join("-");
  if (full.length <= maxLength) return full;
  const hash = shortHash(full, 6);
  const head = full.slice(0, maxLength - hash.length - 1).replace(/-+$/, "");
  return `${head}-${hash}`;
}

/** Name of shared NLB number `index` of a direction (≤ 32 chars; help/scaling.md). */
export function sharedNlbName(kind: StackKind, acquisition: string, environment: string, index: number): string {
  return limitedName([kind === "ingress" ? "fci" : "fce", acquisition, environment, `nlb${index}`], 32);
}

/** Target group name (≤ 32 chars). */
export function targetGroupName(kind: StackKind, acquisition: string, environment: string, service: string): string {
  return limitedName([kind === "ingress" ? "fci" : "fce", "tg", acquisition, environment, service], 32);
}

/** Name of one Farcar (ECS service, task family, roles, log group; ≤ 48 characters). */
export function farcarName(kind: StackKind, acquisition: string, environment: string, service: string): string {
  return limitedName(["farcar", acquisition, environment, kind === "ingress" ? "in" : "out", service], 48);
}

/**
 * Prefix of the SVID issuer's role, `farcar-issuer-<acquisition>-<environment>`: the guardrail SCP
 * lets only roles named `farcar-issuer-*` (and the exempt roles) call acm-pca:IssueCertificate.
 * Every other role Farcar creates starts `farcar-<acquisition>-` (farcarName, resourcePrefix), so
 * it cannot start `farcar-issuer-` unless an acquisition is named `issuer`: config/checks.ts
 * refuses that name (RESERVED_ACQUISITION_NAMES).
 */
export const ISSUER_ROLE_PREFIX = "farcar-issuer";

/** Acquisition names that would make other Farcar roles look like the issuer's role. */
export const RESERVED_ACQUISITION_NAMES: readonly string[] = ["issuer"];

/** Role of the environment's SVID issuer (≤ 64 characters, IAM's role name limit). */
export function issuerRoleName(acquisition: string, environment: string): string {
  return limitedName([ISSUER_ROLE_PREFIX, acquisition, environment], 64);
}

/** Name prefix for resources without a tight length limit (roles ≤ 64, log groups, …). */
export function resourcePrefix(kind: StackKind, acquisition: string, environment: string): string {
  return `farcar-${acquisition}-${environment}-${kind}`;
}

export const DEFAULT_SPIFFE_ID_TEMPLATE = "spiffe://{trustDomain}/acquisition/{acquisition}/{environment}/{service}";

/** The SPIFFE ID a Farcar presents for acquisition service `service`. */
export function farcarSpiffeId(
  template: string,
  values: { trustDomain: string; acquisition: string; environment: string; service: string },
): string {
  return template.replace(/\{(trustDomain|acquisition|environment|service)\}/g, (_, key: keyof typeof values) => values[key]);
}

/** AWS partition of a region (ARNs are partition-specific). */
export function partitionOf(region: string): "aws" | "aws-cn" | "aws-us-gov" {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

/** DNS suffix of AWS service endpoints in a partition (`amazonaws.com`, `amazonaws.com.cn` in China). */
export function dnsSuffixOf(partition: string): string {
  return partition === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com";
}

/** Role the stacks assume in a proxy account. */
export function accessRoleArn(partition: string, accountId: string, roleName: string): string {
  return `arn:${partition}:iam::${accountId}:role/${roleName}`;
}

/** Terraform output name carrying a created proxy account's ID from the org stack. */
export function accountIdOutputName(acquisition: string, environment: string): string {
  return `account_id_${acquisition}_${environment}`.replace(/-/g, "_");
}
