/** Small hand-built stacks for rule tests: real provider resources, evaluated as they synthesize. */
import { App, TerraformStack, Testing } from "cdktf";
import type { IConstruct } from "constructs";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { synthesizedResource } from "../../modules/rules/check";
import type { ResourceConfig, RuleResult, SecurityRule } from "../../modules/rules/rule";

/** An app with one stack (`test`) and an AWS provider. */
export function testStack(id = "test", app: App = Testing.app()): TerraformStack {
  const stack = new TerraformStack(app, id);
  new AwsProvider(stack, "aws", { region: "us-east-1" });
  return stack;
}

/** The resource's synthesized configuration, as the rules see it. */
export function configOf(resource: IConstruct): ResourceConfig {
  const synthesized = synthesizedResource(resource);
  if (!synthesized) throw new Error(`${resource.node.path} is not a Terraform resource or data source`);
  return synthesized.resource;
}

/** `rule` applied to a construct built in a fresh test stack. */
export function evaluate(rule: SecurityRule, build: (stack: TerraformStack) => IConstruct): RuleResult {
  return rule.evaluate(configOf(build(testStack())));
}

export const compliant: RuleResult = { compliance: "compliant" };
export const notApplicable: RuleResult = { compliance: "not-applicable" };
export function nonCompliant(reason: string): RuleResult {
  return { compliance: "non-compliant", reason };
}

/** A policy document as the modules render it. */
export function json(doc: unknown): string {
  return JSON.stringify(doc);
}
