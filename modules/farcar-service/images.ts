/**
 * ECR repositories for the Farcar images in a proxy account. Proxy VPCs have no internet access:
 * tasks pull through the ECR and S3 VPC endpoints. Tags are immutable, images scanned on push.
 */
import { TerraformLocal } from "cdktf";
import { Construct } from "constructs";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { FARCAR_IMAGE_TAG } from "../../config/fleet";
import { unlessEmpty } from "../terraform-values";

export const IMAGE_REPOSITORIES = { envoy: "farcar/envoy", identity: "farcar/identity" } as const;

export interface FarcarImagesProps {
  /** Envoy image to run; "" = farcar/envoy:FARCAR_IMAGE_TAG in this account's ECR (may be a token). */
  readonly envoyImage: string;
  /** Identity sidecar image; "" = farcar/identity:FARCAR_IMAGE_TAG in this account's ECR (may be a token). */
  readonly identityImage: string;
}

export class FarcarImages extends Construct {
  public readonly envoyRepository: EcrRepository;
  public readonly identityRepository: EcrRepository;
  public readonly envoyImage: string;
  public readonly identityImage: string;

  constructor(scope: Construct, id: string, props: FarcarImagesProps) {
    super(scope, id);
    const repo = (name: string, construct: string) =>
      new EcrRepository(this, construct, {
        name,
        imageTagMutability: "IMMUTABLE",
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfiguration: [{ encryptionType: "AES256" }],
      });
    this.envoyRepository = repo(IMAGE_REPOSITORIES.envoy, "envoy");
    this.identityRepository = repo(IMAGE_REPOSITORIES.identity, "identity");
    // Locals, so the images can be embedded in JSON documents (container definitions) as plain
    // references rather than expressions with quotes.
    this.envoyImage = new TerraformLocal(this, "envoy_image", unlessEmpty(props.envoyImage, `${this.envoyRepository.repositoryUrl}:${FARCAR_IMAGE_TAG}`)).asString;
    this.identityImage = new TerraformLocal(
      this,
      "identity_image",
      unlessEmpty(props.identityImage, `${this.identityRepository.repositoryUrl}:${FARCAR_IMAGE_TAG}`),
    ).asString;
  }

  public get repositoryArns(): string[] {
    return [this.envoyRepository.arn, this.identityRepository.arn];
  }
}
