/**
 * ECR repositories for the Farcar images in a proxy account. Proxy VPCs have no internet access:
 * tasks pull through the ECR and S3 VPC endpoints. Tags are immutable, images scanned on push.
 */
import { Construct } from "constructs";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { FARCAR_IMAGE_TAG } from "../../config/fleet";

export const IMAGE_REPOSITORIES = { envoy: "farcar/envoy", identity: "farcar/identity" } as const;

export interface FarcarImagesProps {
  /** Envoy image to run. @default - farcar/envoy:FARCAR_IMAGE_TAG in this account's ECR */
  readonly envoyImage?: string;
  /** Identity sidecar image. @default - farcar/identity:FARCAR_IMAGE_TAG in this account's ECR */
  readonly identityImage?: string;
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
    this.envoyImage = props.envoyImage ?? `${this.envoyRepository.repositoryUrl}:${FARCAR_IMAGE_TAG}`;
    this.identityImage = props.identityImage ?? `${this.identityRepository.repositoryUrl}:${FARCAR_IMAGE_TAG}`;
  }

  public get repositoryArns(): string[] {
    return [this.envoyRepository.arn, this.identityRepository.arn];
  }
}
