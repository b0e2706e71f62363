/**
 * The converter and the tags Aspect on small hand-made stacks: what a module may not contain
 * fails the export with every problem, the stack, and the fix.
 */
import { Aspects, TerraformOutput, TerraformStack, Testing } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { convertStack, formatExportProblem, ModuleExportError, ModuleTagsAspect, type StackInfo } from "../../scripts/module-export";
import type { Json } from "./support";

const INFO: StackInfo = { name: "acme-dev-ingress", kind: "ingress", acquisition: "acme", environment: "dev" };
const REMOTE = "data.terraform_remote_state.org-state.outputs.account_id_acme_dev";

/** A synthesized stack, minimal: provider assuming a role in an account read from the org stack's state. */
function stackJson(overrides: Json = {}): Json {
  return {
    "//": { metadata: { stackName: INFO.name } },
    terraform: { required_providers: { aws: { source: "aws", version: "5.100.0" } }, backend: { local: { path: "x.tfstate" } } },
    provider: {
      aws: [{ region: "us-east-1", assume_role: [{ role_arn: `arn:aws:iam::\${${REMOTE}}:role/Access`, session_name: "farcar-ingress" }], default_tags: [{ tags: { a: "b" } }] }],
    },
    data: { terraform_remote_state: { "org-state": { backend: "local", config: { path: "../org.tfstate" } } } },
    variable: { desired_count: { type: "number", default: 2, description: "Tasks per service" } },
    resource: { aws_iam_role: { r: { "//": { metadata: { path: "x/r" } }, name: "r", description: `Role in \${${REMOTE}}` } } },
    output: { role_name: { value: "${aws_iam_role.r.name}", description: "Name of the role" } },
    ...overrides,
  };
}

function convert(json: Json) {
  return convertStack(INFO, json, "header");
}

describe("convertStack", () => {
  test("turns the provider's remote-state account read into the validated variable proxy_account_id", () => {
    const { module, problems } = convert(stackJson());
    expect(problems).toEqual([]);
    const files = module!.files;
    expect(Object.keys(files["variables.tf.json"].variable)).toEqual(["proxy_account_id", "desired_count"]);
    expect(files["main.tf.json"].resource.aws_iam_role.r).toEqual({ name: "r", description: "Role in ${var.proxy_account_id}" });
    expect(files).not.toHaveProperty(["data.tf.json"]);
    expect(module!.provider).toEqual({
      region: "us-east-1",
      assume_role: [{ role_arn: "arn:aws:iam::${var.proxy_account_id}:role/Access", session_name: "farcar-ingress" }],
    });
    expect(module!.proxyAccountRead?.output).toBe("account_id_acme_dev");
  });

  test("drops provider, backend and cloud; pins the provider source and version range", () => {
    const { module } = convert(stackJson({ terraform: { cloud: { organization: "acme" }, required_providers: { aws: { source: "aws", version: "5.100.0" } } } }));
    const all = JSON.stringify(module!.files);
    expect(all).not.toMatch(/"provider"|"backend"|"cloud"|terraform_remote_state/);
    expect(module!.files["versions.tf.json"].terraform.required_providers).toEqual({ aws: { source: "hashicorp/aws", version: ">= 5.100.0, < 6.0.0" } });
  });

  test("keeps other data sources in data.tf.json", () => {
    const json = stackJson();
    json.data.aws_iam_policy_document = { doc: { "//": {}, statement: [] } };
    const { module } = convert(json);
    expect(module!.files["data.tf.json"]).toEqual({ "//": "header", data: { aws_iam_policy_document: { doc: { statement: [] } } } });
  });

  test("fails if an output has no description", () => {
    const { module, problems } = convert(stackJson({ output: { role_name: { value: "x" } } }));
    expect(module).toBeUndefined();
    expect(problems.map(formatExportProblem)).toEqual([
      'acme-dev-ingress: output "role_name" has no description. Fix: give the TerraformOutput "role_name" a `description` saying what the value is and who uses it.',
    ]);
  });

  test("fails if a variable has no type or no description, listing every problem", () => {
    const { problems } = convert(stackJson({ variable: { a: { default: 1 }, b: { type: "string", description: " " } } }));
    expect(problems.map((p) => p.message)).toEqual(['variable "a" has no type.', 'variable "a" has no description.', 'variable "b" has no description.']);
    const error = new ModuleExportError(problems);
    expect(error.message).toMatch(/^3 problems exporting modules; nothing was written:\n {2}acme-dev-ingress: variable "a" has no type\./);
  });

  test("fails on a remote-state read it cannot map to an input", () => {
    const json = stackJson();
    json.resource.aws_iam_role.r.name = "${data.terraform_remote_state.org-state.outputs.role_prefix}";
    expect(convert(json).problems.map((p) => p.message)).toEqual([
      expect.stringContaining("reads `data.terraform_remote_state.org-state.outputs.role_prefix` from another stack's state"),
    ]);
  });

  test("fails on an account ID read the provider does not use (not the account the stack deploys into)", () => {
    const json = stackJson();
    json.resource.aws_iam_role.r.name = "${data.terraform_remote_state.org-state.outputs.account_id_other_env}";
    expect(convert(json).problems).toHaveLength(1);
  });

  test("fails on several providers of a type (configuration_aliases are not generated)", () => {
    const json = stackJson();
    json.provider.aws.push({ alias: "peer", region: "us-west-2" });
    expect(convert(json).problems.map((p) => p.message)).toEqual([expect.stringContaining('configures 2 "aws" providers (default, alias "peer")')]);
  });

  test("fails on a provider without a known version range", () => {
    const json = stackJson();
    json.terraform.required_providers.tls = { source: "hashicorp/tls", version: "4.0.0" };
    expect(convert(json).problems.map((p) => p.message)).toEqual(['uses provider "tls" (hashicorp/tls), which has no version range for modules.']);
  });

  test("a stack without remote state gets no proxy_account_id", () => {
    const json = stackJson({ data: undefined });
    json.provider.aws[0].assume_role[0].role_arn = "arn:aws:iam::777777777777:role/Access";
    json.resource.aws_iam_role.r.description = "Role";
    const { module } = convert(json);
    expect(Object.keys(module!.files["variables.tf.json"].variable)).toEqual(["desired_count"]);
    expect(module!.proxyAccountRead).toBeUndefined();
  });
});

describe("ModuleTagsAspect", () => {
  function tagged(defaultTags: Record<string, string> | undefined) {
    const app = Testing.app();
    const stack = new TerraformStack(app, "s");
    new AwsProvider(stack, "aws", { region: "us-east-1", ...(defaultTags ? { defaultTags: [{ tags: defaultTags }] } : {}) });
    const peer = new AwsProvider(stack, "peer", { region: "us-west-2", alias: "peer" });
    new Vpc(stack, "vpc", { cidrBlock: "10.0.0.0/16", tags: { Name: "v", "farcar:stack": "mine" } });
    new S3Bucket(stack, "bucket", { bucket: "b" });
    new IamRolePolicy(stack, "policy", { role: "r", policy: "{}" });
    new S3Bucket(stack, "elsewhere", { bucket: "e", provider: peer });
    new TerraformOutput(stack, "o", { value: "x", description: "d" });
    const aspect = new ModuleTagsAspect();
    Aspects.of(stack).add(aspect);
    const json: Json = JSON.parse(Testing.synth(stack));
    return { json, aspect };
  }

  test("tags each taggable resource with the provider's default tags, farcar:* last", () => {
    const { json } = tagged({ team: "t", "farcar:stack": "s" });
    expect(json.locals).toEqual({
      default_tags: { team: "t", "farcar:stack": "s" },
      farcar_tags: '${{ for k, v in local.default_tags : k => v if startswith(k, "farcar:") }}',
    });
    expect(json.resource.aws_vpc.vpc.tags).toBe('${merge(local.default_tags, {"Name" = "v", "farcar:stack" = "mine"}, local.farcar_tags)}');
    expect(json.resource.aws_s3_bucket.bucket.tags).toBe("${local.default_tags}");
  });

  test("leaves resources without a tags argument alone", () => {
    const { json } = tagged({ team: "t" });
    expect(json.resource.aws_iam_role_policy.policy).not.toHaveProperty("tags");
  });

  test("reports resources on an aliased provider", () => {
    const { aspect } = tagged({ team: "t" });
    expect(aspect.problems.map((p) => p.message)).toEqual([expect.stringContaining("aws_s3_bucket.elsewhere uses an aliased provider")]);
  });

  test("adds nothing when the provider sets no default tags", () => {
    const { json } = tagged(undefined);
    expect(json.locals).toBeUndefined();
    expect(json.resource.aws_vpc.vpc.tags).toEqual({ Name: "v", "farcar:stack": "mine" });
  });
});
