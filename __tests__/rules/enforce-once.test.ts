/**
 * The security rules resolve each resource once at synth (issue 14): the first stack's check
 * covers every governed stack, later stacks reuse it, and the writer writes the JSON the rules
 * checked — unless another Aspect may have changed a later stack since, which is then checked
 * (and resolved) again. With no other Aspect in the app, the check takes each stack's JSON from
 * the resolution App.synth made to prepare it (patches/cdktf+0.21.0.patch), so a synth resolves
 * each resource once in all, where cdktf alone resolves it twice.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { Aspects, Lazy, Testing, type IAspect } from "cdktf";
import type { IConstruct } from "constructs";
import { ApiGatewayMethod } from "@cdktf/provider-aws/lib/api-gateway-method";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SynthError } from "../../config/errors";
import { SECURITY_RULES } from "../../modules/rules/catalog";
import { enforceSecurityRules } from "../../modules/rules/enforce";
import type { SecurityRule } from "../../modules/rules/rule";
import { testStack } from "./support";

/** The real rules, counting how often each resource address is evaluated. */
function countingRules(seen: Map<string, number>): SecurityRule[] {
  return SECURITY_RULES.map((rule, i) => ({
    ...rule,
    evaluate: (resource) => {
      if (i === 0) {
        const key = `${resource.type} ${JSON.stringify(resource.config)}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
      return rule.evaluate(resource);
    },
  }));
}

function method(scope: IConstruct, id: string, authorization = "AWS_IAM"): ApiGatewayMethod {
  return new ApiGatewayMethod(scope as never, id, { restApiId: `api-${id}`, resourceId: "r", httpMethod: "GET", authorization });
}

describe("security rules at synth", () => {
  test("evaluate every resource of every stack exactly once", () => {
    const app = Testing.app();
    for (const name of ["first", "second", "third"]) {
      const stack = testStack(name, app);
      method(stack, `${name}-a`);
      method(stack, `${name}-b`);
    }
    const seen = new Map<string, number>();
    enforceSecurityRules(app, countingRules(seen));
    app.synth();
    expect(seen.size).toBe(6);
    expect([...seen.values()]).toEqual([1, 1, 1, 1, 1, 1]);
  });

  test("check a later stack again when another Aspect may have changed it after the first check", () => {
    const app = Testing.app();
    testStack("first", app);
    const second = testStack("second", app);
    const m = method(second, "later");
    const breaksAuthorization: IAspect = {
      visit: (node) => {
        if (node === second) m.addOverride("authorization", "NONE");
      },
    };
    Aspects.of(second).add(breaksAuthorization); // runs on `second` before the rules' Aspect does
    enforceSecurityRules(app);
    expect(() => app.synth()).toThrow(SynthError);
    expect(() => app.synth()).toThrow(/FC-APIGW-IAM-AUTH\] second\/later/);
  });

  test("catch a change another Aspect made before the rules ran, even on the first stack", () => {
    const app = Testing.app();
    const first = testStack("first", app);
    testStack("second", app);
    const m = method(first, "early");
    // Registered before the rules' Aspect: it runs first, after App.synth prepared (resolved) the
    // stacks, so that resolution is stale and must not be what the rules check.
    Aspects.of(first).add({ visit: (node) => node === first && m.addOverride("authorization", "NONE") });
    enforceSecurityRules(app);
    expect(() => app.synth()).toThrow(/FC-APIGW-IAM-AUTH\] first\/early/);
  });

  test("resolve tokens in a stack-level override when the JSON comes from the prepared resolution", () => {
    const app = Testing.app();
    const [first, second] = ["first", "second"].map((name) => testStack(name, app));
    method(first, "m");
    second.addOverride("terraform.required_version", Lazy.stringValue({ produce: () => ">= 1.5" }));
    enforceSecurityRules(app);
    app.synth();
    const written = JSON.parse(readFileSync(path.join(app.outdir, "stacks", "second", "cdk.tf.json"), "utf8"));
    expect(written.terraform.required_version).toBe(">= 1.5");
  });

  test("check and render each stack as soon as cdktf prepared it, before the next stack is prepared", () => {
    const app = Testing.app();
    const events: string[] = [];
    const stacks = ["first", "second"].map((name) => {
      const stack = testStack(name, app);
      method(stack, `${name}-m`);
      const prepare = stack.prepareStack.bind(stack);
      stack.prepareStack = () => {
        events.push(`prepare ${name}`);
        prepare();
      };
      return stack;
    });
    const rules = SECURITY_RULES.map((rule, i) => ({
      ...rule,
      evaluate: (resource: Parameters<SecurityRule["evaluate"]>[0]) => {
        if (i === 0 && resource.type === "aws_api_gateway_method") events.push(`check ${String(resource.config.rest_api_id).slice(4, -2)}`);
        return rule.evaluate(resource);
      },
    }));
    enforceSecurityRules(app, rules);
    app.synth();
    expect(events).toEqual(["prepare first", "check first", "prepare second", "check second"]);
    expect(stacks.map((s) => s.renderedTerraform)).toEqual([undefined, undefined]); // written and released
  });

  test("check a stack again when a later stack's cross-stack reference added an output to it after its check", () => {
    const written = (withRules: boolean) => {
      const app = Testing.app();
      const first = testStack("first", app);
      const second = testStack("second", app);
      const topic = new SnsTopic(first, "topic", { name: "t" });
      new SnsTopic(second, "copy", { name: topic.name }); // cdktf adds an output to `first` while preparing `second`
      if (withRules) enforceSecurityRules(app);
      else Aspects.of(app).add({ visit: () => undefined }); // cdktf's own composition and writer
      app.synth();
      return readFileSync(path.join(app.outdir, "stacks", "first", "cdk.tf.json"), "utf8");
    };
    const ours = written(true);
    expect(Object.keys(JSON.parse(ours).output ?? {})).toHaveLength(1);
    expect(ours).toBe(written(false));
  });

  test("write a stack from its JSON, never from bytes rendered for an earlier synth", () => {
    const app = Testing.app();
    const stack = testStack("only", app);
    method(stack, "m");
    stack.renderedTerraform = Buffer.from("stale"); // as if an earlier synth failed before writing it
    app.synth(); // no rules Aspect: nothing renders this synth's bytes
    const written = JSON.parse(readFileSync(path.join(app.outdir, "stacks", "only", "cdk.tf.json"), "utf8"));
    expect(Object.keys(written.resource.aws_api_gateway_method)).toHaveLength(1);
  });

  test("resolve each resource once in all, where cdktf alone resolves it twice; the writer writes the JSON the rules checked", () => {
    const produced = (withRules: boolean) => {
      let calls = 0;
      const app = Testing.app();
      const stacks = ["first", "second"].map((name) => testStack(name, app));
      for (const stack of stacks) {
        // A second provider of the same type: both land in one `provider.aws` list when composed.
        new AwsProvider(stack, "aws-west", { region: "us-west-2", alias: "west" });
        new ApiGatewayMethod(stack, "m", {
          restApiId: Lazy.stringValue({ produce: () => `api-${++calls > 0 ? stack.node.id : ""}` }),
          resourceId: "r",
          httpMethod: "GET",
          authorization: "AWS_IAM",
        });
      }
      if (withRules) enforceSecurityRules(app);
      app.synth();
      const written = JSON.parse(readFileSync(path.join(app.outdir, "stacks", "second", "cdk.tf.json"), "utf8"));
      return { calls, written };
    };
    const without = produced(false);
    const withRules = produced(true);
    expect(without.calls).toBe(4); // cdktf: prepareStack, then the writer, for each of 2 stacks
    expect(withRules.calls).toBe(2);
    expect(withRules.written).toEqual(without.written);
    expect(Object.values(withRules.written.resource.aws_api_gateway_method)[0]).toMatchObject({ rest_api_id: "api-second" });
    expect(withRules.written.provider.aws.map((p: { region: string }) => p.region)).toEqual(["us-east-1", "us-west-2"]);
  });
});
