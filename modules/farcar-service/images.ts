/**
 * The Farcar images (Envoy and the identity sidecar) and where they live: ECR repositories in the
 * proxy account, in a stack of their own (`<proxy stack>-images`, stacks/images-stack.ts).
 *
 * Why a stack of their own: an ECS service created in the same apply as its repository starts
 * before anything can be pushed, and the deployment circuit breaker fails the deployment. So the
 * repositories are applied first, the images pushed, and only then the proxy stack, whose task
 * definitions name the images by URL (help/first-deployment.md). The proxy stack derives the URLs
 * and ARNs from the account, region and repository name (farcarImageRepository) instead of
 * reading the images stack's state: it plans before the images stack exists, and nothing in
 * the images stack depends on it.
 *
 * Proxy VPCs have no internet access: tasks pull through the ECR and S3 VPC endpoints. Tags are
 * immutable, images scanned on push.
 */
import { Fn, TerraformLocal } from "cdktf";
import { Construct } from "constructs";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { FARCAR_IMAGE_TAG } from "../../config/fleet";
import { dnsSuffixOf } from "../../config/names";
import { unlessEmpty } from "../terraform-values";

export const IMAGE_REPOSITORIES = { envoy: "farcar/envoy", identity: "farcar/identity" } as const;
export type FarcarImageName = keyof typeof IMAGE_REPOSITORIES;

/**
 * How each image is built, from the repository root: Dockerfile and build context. The sidecar
 * bundles modules from envoy/ (its Dockerfile says why), so its context is the root.
 */
export const IMAGE_BUILDS: Record<FarcarImageName, { readonly dockerfile: string; readonly context: string }> = {
  envoy: { dockerfile: "envoy/Dockerfile", context: "envoy/" },
  identity: { dockerfile: "envoy/sidecar/Dockerfile", context: "." },
};

/** `docker buildx --platform` for an ECS `runtimePlatform.cpuArchitecture`. */
export const DOCKER_PLATFORMS = { X86_64: "linux/amd64", ARM64: "linux/arm64" } as const;
export type CpuArchitecture = keyof typeof DOCKER_PLATFORMS;

/** The account and region a repository lives in. */
export interface ImageRegistry {
  readonly accountId: string;
  readonly region: string;
  readonly partition: string;
}

/**
 * URL (`<account>.dkr.ecr.<region>.<dns suffix>/<name>`) and ARN of a Farcar repository in
 * `registry`. The URL format is the private registry's documented one (Amazon ECR User Guide,
 * "Private registry concepts": `https://aws_account_id.dkr.ecr.region.amazonaws.com`,
 * `.amazonaws.com.cn` in China); it is what `aws_ecr_repository.repository_url` returns.
 */
export function farcarImageRepository(registry: ImageRegistry, image: FarcarImageName): { readonly url: string; readonly arn: string } {
  const { accountId, region, partition } = registry;
  const name = IMAGE_REPOSITORIES[image];
  return {
    url: `${accountId}.dkr.ecr.${region}.${dnsSuffixOf(partition)}/${name}`,
    arn: `arn:${partition}:ecr:${region}:${accountId}:repository/${name}`,
  };
}

/**
 * The shell commands that build and push both images into the repositories at `urls` (run from
 * the repository root): log in to the registry, then `docker buildx build --push` each image for
 * `platform` at FARCAR_IMAGE_TAG. `urls` may be Terraform tokens; the registry host is the part
 * of the Envoy repository URL before the first `/`.
 */
export function imagePushCommands(region: string, urls: Record<FarcarImageName, string>, platform: string): string[] {
  const registryHost = Fn.element(Fn.split("/", urls.envoy), 0);
  return [
    `aws ecr get-login-password --region ${region} | docker login --username AWS --password-stdin ${registryHost}`,
    ...(Object.keys(IMAGE_BUILDS) as FarcarImageName[]).map((image) => {
      const build = IMAGE_BUILDS[image];
      return `docker buildx build --platform ${platform} -f ${build.dockerfile} -t ${urls[image]}:${FARCAR_IMAGE_TAG} --push ${build.context}`;
    }),
  ];
}

/** The ECR repositories of one proxy account (the images stack's resources). */
export class FarcarImageRepositories extends Construct {
  public readonly envoyRepository: EcrRepository;
  public readonly identityRepository: EcrRepository;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    // Construct IDs as they were in the proxy stacks ("images/envoy"), so the Terraform addresses
    // stay the same when an existing repository moves here (help/first-deployment.md, Upgrading).
    const repo = (name: string, construct: string) =>
      new EcrRepository(this, construct, {
        name,
        imageTagMutability: "IMMUTABLE",
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfiguration: [{ encryptionType: "AES256" }],
      });
    this.envoyRepository = repo(IMAGE_REPOSITORIES.envoy, "envoy");
    this.identityRepository = repo(IMAGE_REPOSITORIES.identity, "identity");
  }

  /** Repository URLs by image, as the provider reports them. */
  public get urls(): Record<FarcarImageName, string> {
    return { envoy: this.envoyRepository.repositoryUrl, identity: this.identityRepository.repositoryUrl };
  }
}

export interface FarcarImagesProps extends ImageRegistry {
  /** Envoy image to run; "" = farcar/envoy:FARCAR_IMAGE_TAG in this account's ECR (may be a token). */
  readonly envoyImage: string;
  /** Identity sidecar image; "" = farcar/identity:FARCAR_IMAGE_TAG in this account's ECR (may be a token). */
  readonly identityImage: string;
}

/**
 * The images a proxy stack's tasks run, in its account's repositories (created by the images
 * stack, not here): no resources, only the references.
 */
export class FarcarImages extends Construct {
  public readonly envoyImage: string;
  public readonly identityImage: string;
  /** ARNs of the repositories the images come from (the execution role may pull only these). */
  public readonly repositoryArns: string[];

  constructor(scope: Construct, id: string, props: FarcarImagesProps) {
    super(scope, id);
    const envoy = farcarImageRepository(props, "envoy");
    const identity = farcarImageRepository(props, "identity");
    // Locals, so the images can be embedded in JSON documents (container definitions) as plain
    // references rather than expressions with quotes.
    this.envoyImage = new TerraformLocal(this, "envoy_image", unlessEmpty(props.envoyImage, `${envoy.url}:${FARCAR_IMAGE_TAG}`)).asString;
    this.identityImage = new TerraformLocal(this, "identity_image", unlessEmpty(props.identityImage, `${identity.url}:${FARCAR_IMAGE_TAG}`)).asString;
    this.repositoryArns = [envoy.arn, identity.arn];
  }
}
