/**
 * IAM policy documents as typed data (STYLE.md §5): built as objects, rendered with
 * `renderPolicy`, so policies are visible, testable data in the synthesized Terraform.
 */

export type OneOrMany<T> = T | T[];

export type ConditionBlock = Record<string, Record<string, OneOrMany<string | boolean>>>;

export type Principal = "*" | { AWS?: OneOrMany<string>; Service?: OneOrMany<string>; Federated?: OneOrMany<string> };

export interface PolicyStatement {
  /** Every statement has a Sid: it names the intent in reviews and in simulation reports. */
  readonly Sid: string;
  readonly Effect: "Allow" | "Deny";
  readonly Principal?: Principal;
  readonly NotPrincipal?: Principal;
  readonly Action?: OneOrMany<string>;
  readonly NotAction?: OneOrMany<string>;
  readonly Resource?: OneOrMany<string>;
  readonly NotResource?: OneOrMany<string>;
  readonly Condition?: ConditionBlock;
}

export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: PolicyStatement[];
}

export function policyDocument(...statements: PolicyStatement[]): PolicyDocument {
  return { Version: "2012-10-17", Statement: statements };
}

/** Compact JSON, as AWS stores and counts it (resource policy quotas count characters). */
export function renderPolicy(doc: PolicyDocument): string {
  return JSON.stringify(doc);
}
