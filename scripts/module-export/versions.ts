/**
 * Version constraints of the generated modules (STYLE.md §9: lower bounds, so a module composes
 * with its callers' providers). The AWS lower bound is the version the provider bindings
 * (@cdktf/provider-aws 20.1.0) were generated from; the upper bound keeps the next major release
 * out until the bindings move to it.
 */

/** Terraform versions a module declares (its newest language feature is `startswith`, Terraform 1.3). */
export const TERRAFORM_REQUIRED_VERSION = ">= 1.5";

export interface ProviderRequirement {
  readonly source: string;
  readonly version: string;
}

/** Every provider a stack may use, by local name. */
export const PROVIDER_REQUIREMENTS: Readonly<Record<string, ProviderRequirement>> = {
  aws: { source: "hashicorp/aws", version: ">= 5.100.0, < 6.0.0" },
};
