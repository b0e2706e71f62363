/**
 * The rules at synth: applied to every stack of the fleet by an Aspect, a violation anywhere
 * fails synth with a SynthError listing every violation (rule, construct path, Terraform address,
 * reason, fix) before any stack is written; a suppression needs a written reason.
 */
import { existsSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { AnnotationMetadataEntryType, Aspects, Testing, type App } from "cdktf";
import { Construct } from "constructs";
import { ApiGatewayMethod } from "@cdktf/provider-aws/lib/api-gateway-method";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { SynthError } from "../../config/errors";
import { checkSecurityRules } from "../../modules/rules/check";
import { enforceSecurityRules, SecurityRulesAspect } from "../../modules/rules/enforce";
import { suppressRule } from "../../modules/rules/suppressions";
import type { SecurityRuleId } from "../../modules/rules/catalog";
import { loadFleet } from "../../config/load";
import { buildFleet } from "../../stacks/fleet-app";
import { EXAMPLE_FLEET, synthFleetFile } from "../support/synth";
import { testStack } from "./support";

const IAM_FIX = 'Set authorization = "AWS_IAM" on the method; callers sign requests with SigV4 (service execute-api).';
const RETENTION_FIX = "Set retention_in_days (the fleet file's farcar.logRetentionDays feeds the Farcar and API log groups).";

function noneMethod(scope: Construct, id = "method"): ApiGatewayMethod {
  return new ApiGatewayMethod(scope, id, { restApiId: "api", resourceId: "r", httpMethod: "GET", authorization: "NONE" });
}

function synthError(app: App): SynthError {
  try {
    app.synth();
  } catch (err) {
    if (err instanceof SynthError) return err;
    throw err;
  }
  throw new Error("synth did not fail");
}

const messages = (scope: Construct, level: AnnotationMetadataEntryType) =>
  scope.node.metadata.filter((m) => m.type === level).map((m) => m.data);

describe("the example fleet", () => {
  const example = synthFleetFile();
  const stacks = [example.stacks.org, ...example.stacks.images, ...example.stacks.ingress, ...example.stacks.egress];

  test("synthesizes with zero violations", () => {
    const report = checkSecurityRules(stacks);
    expect(report.violations).toEqual([]);
    expect(report.resourceCount).toBeGreaterThan(300);
    expect(report.suppressed).toEqual([]);
    expect(example.stackNames.length).toBe(stacks.length);
  });

  test("every stack of the fleet is governed by the rules", () => {
    for (const stack of stacks) expect(Aspects.of(stack).all.some((a) => a instanceof SecurityRulesAspect)).toBe(true);
  });

  test("fails synth when an escape hatch breaks a rule (rules see the final configuration)", () => {
    const app = Testing.app();
    const { ingress } = buildFleet(app, loadFleet(EXAMPLE_FLEET));
    const stack = ingress[0];
    stack.apis.checkout.methods["checkout/payments"].addOverride("authorization", "NONE");
    const err = synthError(app);
    expect(err.message).toMatch(
      new RegExp(
        `^1 security rule violation .*\\n  \\[FC-APIGW-IAM-AUTH\\] ${stack.node.id}/api-checkout/m-checkout-payments ` +
          `\\(aws_api_gateway_method\\.api-checkout_m-checkout-payments_[0-9A-F]{8}\\): method "ANY" has authorization "NONE"\\. Fix: `
      )
    );
  });
});

describe("a violation", () => {
  test("fails synth with every violation of every stack, each with rule, path, address, reason and fix", () => {
    const app = Testing.app();
    noneMethod(testStack("first", app));
    new CloudwatchLogGroup(testStack("second", app), "logs", { name: "/farcar/x" });
    enforceSecurityRules(app);

    const err = synthError(app);
    expect(err.message).toBe(
      "2 security rule violations (rules and how to suppress one: help/security-rules.md):\n" +
        `  [FC-APIGW-IAM-AUTH] first/method (aws_api_gateway_method.method): method "GET" has authorization "NONE". Fix: ${IAM_FIX}\n` +
        `  [FC-LOGS-RETENTION] second/logs (aws_cloudwatch_log_group.logs): log group "/farcar/x" has no retention_in_days (kept forever). Fix: ${RETENTION_FIX}`
    );
  });

  test("writes nothing, not even the compliant stacks before it: no stack, no manifest", () => {
    const app = Testing.app();
    new CloudwatchLogGroup(testStack("first", app), "logs", { name: "/farcar/ok", retentionInDays: 30 });
    noneMethod(testStack("second", app));
    enforceSecurityRules(app);

    synthError(app);
    // cdktf's App creates outdir/stacks up front; nothing goes in.
    expect(readdirSync(path.join(app.outdir, "stacks"))).toEqual([]);
    expect(existsSync(path.join(app.outdir, "manifest.json"))).toBe(false);
  });

  test("in a nested construct names its construct path and Terraform address", () => {
    const stack = testStack();
    noneMethod(new Construct(new Construct(stack, "api"), "routes"), "m-checkout");
    enforceSecurityRules(stack);
    expect(() => Testing.synth(stack)).toThrow(
      /\[FC-APIGW-IAM-AUTH\] test\/api\/routes\/m-checkout \(aws_api_gateway_method\.api_routes_m-checkout_[0-9A-F]{8}\): method "GET"/
    );
  });

  test("fails a stack synthesized alone (Testing.synth of a later stack)", () => {
    const app = Testing.app();
    testStack("first", app);
    const second = testStack("second", app);
    noneMethod(second);
    enforceSecurityRules(app);
    expect(() => Testing.synth(second)).toThrow(SynthError);
  });
});

describe("suppressions", () => {
  test("a suppression with a reason silences the rule on that resource and is reported as INFO", () => {
    const app = Testing.app();
    const stack = testStack("test", app);
    const method = noneMethod(stack);
    suppressRule(method, "FC-APIGW-IAM-AUTH", "health probe of the load balancer; carries no identity and reaches no Farcar");
    enforceSecurityRules(app);

    expect(() => app.synth()).not.toThrow();
    expect(existsSync(path.join(app.outdir, "stacks", "test", "cdk.tf.json"))).toBe(true);
    expect(messages(method, AnnotationMetadataEntryType.INFO)).toEqual([
      'FC-APIGW-IAM-AUTH suppressed (method "GET" has authorization "NONE"): health probe of the load balancer; carries no identity and reaches no Farcar',
    ]);
  });

  test("a suppression without a reason fails synth, and does not silence the rule", () => {
    const app = Testing.app();
    const method = noneMethod(testStack("test", app));
    suppressRule(method, "FC-APIGW-IAM-AUTH", "  ");
    enforceSecurityRules(app);

    expect(synthError(app).message).toBe(
      "2 security rule violations (rules and how to suppress one: help/security-rules.md):\n" +
        '  [FC-SUPPRESSION] test/method: suppression of FC-APIGW-IAM-AUTH gives no reason (got "  "). ' +
        'Fix: write why this resource is safe despite the rule, in at least 20 characters: suppressRule(construct, "FC-APIGW-IAM-AUTH", "<why>").\n' +
        `  [FC-APIGW-IAM-AUTH] test/method (aws_api_gateway_method.method): method "GET" has authorization "NONE". Fix: ${IAM_FIX}`
    );
  });

  test("a suppression with too short a reason fails synth", () => {
    const stack = testStack();
    suppressRule(noneMethod(stack), "FC-APIGW-IAM-AUTH", "legacy");
    enforceSecurityRules(stack);
    expect(() => Testing.synth(stack)).toThrow('suppression of FC-APIGW-IAM-AUTH gives too short a reason (got "legacy")');
  });

  test("a suppression of an unknown rule fails synth", () => {
    const stack = testStack();
    suppressRule(noneMethod(stack), "FC-APIGW-IAM" as SecurityRuleId, "a reason that is long enough to count");
    enforceSecurityRules(stack);
    expect(() => Testing.synth(stack)).toThrow(
      /\[FC-SUPPRESSION\] test\/method: suppression of unknown rule "FC-APIGW-IAM". Fix: use one of FC-APIGW-PRIVATE, /
    );
  });

  test("applies to the construct it is on, and to its children only with applyToChildren", () => {
    const reason = "probes of a test harness, never deployed to a proxy account";
    const narrow = testStack();
    const group = new Construct(narrow, "probes");
    noneMethod(group);
    suppressRule(group, "FC-APIGW-IAM-AUTH", reason);
    enforceSecurityRules(narrow);
    expect(() => Testing.synth(narrow)).toThrow("[FC-APIGW-IAM-AUTH] test/probes/method");

    const wide = testStack();
    const probes = new Construct(wide, "probes");
    noneMethod(probes, "a");
    noneMethod(probes, "b");
    suppressRule(probes, "FC-APIGW-IAM-AUTH", reason, { applyToChildren: true });
    enforceSecurityRules(wide);
    expect(() => Testing.synth(wide)).not.toThrow();
  });

  test("a suppression above the stacks (on the App) fails synth", () => {
    const app = Testing.app();
    noneMethod(testStack("test", app));
    suppressRule(app, "FC-APIGW-IAM-AUTH", "every method of every stack is fine", { applyToChildren: true });
    enforceSecurityRules(app);
    expect(synthError(app).message).toContain(
      "[FC-SUPPRESSION] (app): suppressions above a stack are not applied. " +
        "Fix: suppress on the resource, or on a construct or stack containing it with { applyToChildren: true }."
    );
  });

  test("a suppression that silences nothing is reported as a warning", () => {
    const stack = testStack();
    const logs = new CloudwatchLogGroup(stack, "logs", { name: "/farcar/x", retentionInDays: 30 });
    suppressRule(logs, "FC-LOGS-RETENTION", "kept forever for a legal hold on this environment");
    enforceSecurityRules(stack);
    Testing.synth(stack);
    expect(messages(logs, AnnotationMetadataEntryType.WARN)).toEqual([
      "FC-LOGS-RETENTION is suppressed here but nothing here violates it: remove the suppression",
    ]);
  });
});

describe("enforceSecurityRules", () => {
  test("refuses a scope without stacks (called before the stacks exist)", () => {
    expect(() => enforceSecurityRules(Testing.app())).toThrow(
      'enforceSecurityRules: no stack under ""; call it after the stacks are created'
    );
  });

  test("checks only the stacks it governs", () => {
    const app = Testing.app();
    const governed = testStack("governed", app);
    noneMethod(testStack("other", app));
    enforceSecurityRules(governed);
    expect(() => app.synth()).not.toThrow();
  });
});
