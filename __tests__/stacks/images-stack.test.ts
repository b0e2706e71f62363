/**
 * The first deploy (issue 11 item 10): the ECR repositories live in `<proxy stack>-images`, a
 * stack applied — and its images pushed — before the proxy stack, so no ECS service is ever
 * created before the image it runs can exist.
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { Testing } from "cdktf";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { FARCAR_IMAGE_TAG } from "../../config/fleet";
import { DOCKER_PLATFORMS, IMAGE_BUILDS, IMAGE_REPOSITORIES } from "../../modules/farcar-service/images";
import { fleetFromYaml, synthFleet, synthFleetFile } from "../support/synth";
import { BASE_FLEET } from "../config/fleet-fixture";
import "../support/cdktf-matchers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ROOT = path.resolve(__dirname, "../..");
const example = synthFleetFile();
const proxyStacks = example.stackNames.filter((s) => /-(ingress|egress)$/.test(s));
const imagesStacks = example.stackNames.filter((s) => s.endsWith("-images"));
const REPOSITORY_NAMES = Object.values(IMAGE_REPOSITORIES);

/** Every `${…}` expression in a stack's JSON (outside cdktf metadata). */
function references(json: Json): string[] {
  const found: string[] = [];
  const visit = (v: unknown): void => {
    if (typeof v === "string") for (const m of v.matchAll(/\$\{([^}]*)\}/g)) found.push(m[1]);
    else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) if (k !== "//") visit(x);
  };
  visit(json);
  return found;
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The account and region a stack's provider acts in (its assumed role's account, its region). */
function target(json: Json): { account: string; region: string } {
  const provider = json.provider.aws[0];
  const account = /^arn:aws:iam::(.+):role\/[^/]+$/.exec(provider.assume_role[0].role_arn)![1];
  return { account, region: provider.region };
}

/** Repository names an images stack creates. */
const repositoriesOf = (json: Json): string[] => Object.values<Json>(json.resource.aws_ecr_repository ?? {}).map((r) => r.name);

describe("images stacks", () => {
  test("one per proxy stack, named <proxy stack>-images", () => {
    expect(proxyStacks.length).toBeGreaterThan(0);
    expect(imagesStacks).toEqual(proxyStacks.map((s) => `${s}-images`).sort());
    expect(example.stacks.images.map((s) => s.proxyStackName).sort()).toEqual(proxyStacks);
  });

  test("each holds the Farcar repositories (immutable tags, scanned on push, encrypted) in its proxy stack's account and region", () => {
    for (const stack of imagesStacks) {
      const json = example.json(stack);
      expect(Object.keys(json.resource)).toEqual(["aws_ecr_repository"]);
      expect(repositoriesOf(json).sort()).toEqual([...REPOSITORY_NAMES].sort());
      expect(target(json)).toEqual(target(example.json(stack.replace(/-images$/, ""))));
    }
    const synthText = Testing.synth(example.stacks.images[0]);
    expect(synthText).toHaveResourceWithProperties(EcrRepository, {
      name: "farcar/envoy",
      image_tag_mutability: "IMMUTABLE",
      image_scanning_configuration: { scan_on_push: true },
      encryption_configuration: [{ encryption_type: "AES256" }],
    });
  });

  test("no proxy stack creates a repository: a service and its repository are never in the same apply", () => {
    for (const stack of proxyStacks) expect(example.json(stack).resource.aws_ecr_repository).toBeUndefined();
  });
});

describe("first deploy: no ECS service can start before its image exists", () => {
  test.each(proxyStacks)("%s runs only images from the repositories of its images stack", (stack) => {
    const json = example.json(stack);
    const images = example.json(`${stack}-images`);
    const { account, region } = target(json);
    expect(target(images)).toEqual({ account, region });
    const registry = `${account}.dkr.ecr.${region}.amazonaws.com`;
    const tasks = Object.values<Json>(json.resource.aws_ecs_task_definition);
    expect(tasks.length).toBeGreaterThan(0);
    for (const task of tasks) {
      for (const container of JSON.parse(task.container_definitions) as Json[]) {
        // GIVEN the default knobs (no image override), the image is the local's fallback
        const local = /^\$\{local\.([A-Za-z0-9_]+)\}$/.exec(container.image)![1];
        const m = /^\$\{coalesce\(var\.(farcar_image|identity_image), "(.+)"\)\}$/.exec(json.locals[local])!;
        expect(json.variable[m[1]].default).toBe("");
        const [, repository, tag] = new RegExp(`^${escapeRegExp(registry)}/(.+):(.+)$`).exec(m[2]) ?? [];
        expect({ container: container.name, repository, tag }).toEqual({ container: container.name, repository: expect.any(String), tag: FARCAR_IMAGE_TAG });
        expect(repositoriesOf(images)).toContain(repository);
      }
    }
  });

  test.each(proxyStacks)("%s: the execution roles may pull from exactly the images stack's repositories", (stack) => {
    const json = example.json(stack);
    const { account, region } = target(json);
    const expected = repositoriesOf(example.json(`${stack}-images`)).map((name) => `arn:aws:ecr:${region}:${account}:repository/${name}`);
    const policies = Object.values<Json>(json.resource.aws_iam_role_policy).filter((p) => p.name === "farcar-execution");
    expect(policies.length).toBe(Object.keys(json.resource.aws_ecs_task_definition).length);
    for (const p of policies) {
      const pull = JSON.parse(p.policy).Statement.find((s: Json) => [s.Action].flat().includes("ecr:BatchGetImage"));
      expect([pull.Resource].flat().sort()).toEqual(expected.sort());
    }
  });

  test.each(imagesStacks)("%s applies before its proxy stack: it references nothing outside itself but the org stack's state", (stack) => {
    const json = example.json(stack);
    expect(Object.keys(json.data?.terraform_remote_state ?? {})).toEqual(json.data ? ["org-state"] : []);
    if (json.data) expect(json.data.terraform_remote_state["org-state"].config.path).toMatch(/terraform\.org\.tfstate$/);
    const refs = references(json).join("\n");
    for (const [, type, name] of refs.matchAll(/(?<![\w.])data\.([a-z0-9_]+)\.([A-Za-z0-9_-]+)/g)) expect(`${type}.${name}`).toBe("terraform_remote_state.org-state");
    const resources = [...refs.matchAll(/(?<![\w.])(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)/g)];
    expect(resources.length).toBeGreaterThan(0);
    for (const [, type, name] of resources) expect(`${type}.${name}`).toBe(json.resource[type]?.[name] ? `${type}.${name}` : "a resource of this stack");
    expect(references(json).filter((r) => /(?<![\w.])(var|local|module)\./.test(r))).toEqual([]);
  });

  test("no stack declares a cdktf dependency (each can be deployed alone, in the runbook's order)", () => {
    const manifest = JSON.parse(readFileSync(path.join(example.outdir, "manifest.json"), "utf8"));
    for (const [name, stack] of Object.entries<Json>(manifest.stacks)) expect({ name, dependencies: stack.dependencies }).toEqual({ name, dependencies: [] });
  });

  test("a proxy stack reads nothing from its images stack's state (it plans before the images stack is applied)", () => {
    for (const stack of proxyStacks) {
      expect(Object.keys(example.json(stack).data?.terraform_remote_state ?? {}).filter((n) => n !== "org-state")).toEqual([]);
    }
  });
});

describe("outputs", () => {
  const STACK = "afterpay-staging-ingress-images";
  const json = example.json(STACK);
  const url = (image: keyof typeof IMAGE_REPOSITORIES) => {
    const [id] = Object.entries<Json>(json.resource.aws_ecr_repository).find(([, r]) => r.name === IMAGE_REPOSITORIES[image])!;
    return `\${aws_ecr_repository.${id}.repository_url}`;
  };

  test("repository URLs by image", () => {
    expect(json.output.repository_urls.value).toEqual({ envoy: url("envoy"), identity: url("identity") });
    expect(json.output.image_tag.value).toBe(FARCAR_IMAGE_TAG);
  });

  test("push commands: log in to the registry, build each image from its Dockerfile for the tasks' CPU architecture, push at the release tag", () => {
    // The task definitions run var.cpu_architecture, whose default is the fleet's farcar.cpuArchitecture.
    const ingress = example.json("afterpay-staging-ingress");
    for (const t of Object.values<Json>(ingress.resource.aws_ecs_task_definition)) expect(t.runtime_platform.cpu_architecture).toBe("${var.cpu_architecture}");
    const platform = DOCKER_PLATFORMS[ingress.variable.cpu_architecture.default as keyof typeof DOCKER_PLATFORMS];
    expect(platform).toBeDefined();
    expect(json.output.push_commands.value.split("\n")).toEqual([
      `aws ecr get-login-password --region us-east-1 | docker login --username AWS --password-stdin \${element(split("/", ${url("envoy").slice(2, -1)}), 0)}`,
      `docker buildx build --platform ${platform} -f envoy/Dockerfile -t ${url("envoy")}:${FARCAR_IMAGE_TAG} --push envoy/`,
      `docker buildx build --platform ${platform} -f envoy/sidecar/Dockerfile -t ${url("identity")}:${FARCAR_IMAGE_TAG} --push .`,
      "",
    ]);
    for (const build of Object.values(IMAGE_BUILDS)) {
      expect(existsSync(path.join(ROOT, build.dockerfile))).toBe(true);
      expect(existsSync(path.join(ROOT, build.context))).toBe(true);
    }
  });

  test("an adopted account's images stack needs no org state", () => {
    const adopted = synthFleet(fleetFromYaml(BASE_FLEET.replace("proxyAccount: { email: aws+afterpay-staging@block.example }", 'proxyAccount: { id: "222222222222" }')));
    const images = adopted.json("afterpay-staging-ingress-images");
    expect(images.data).toBeUndefined();
    expect(target(images)).toEqual({ account: "222222222222", region: "us-east-1" });
  });
});
