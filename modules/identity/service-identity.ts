/**
 * Where one Farcar's SVID comes from, and who may touch it.
 *   - privateCa: the service's own short-lived issuing CA (ServiceCa); the task role may issue
 *     from that CA only, with the APIPassthrough template only.
 *   - secretsManager: a per-service secret the parent's identity system writes; only this
 *     Farcar's task role may read it (identity policy + a deny-everyone-else resource policy).
 */
import { Construct } from "constructs";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SecretsmanagerSecretPolicy } from "@cdktf/provider-aws/lib/secretsmanager-secret-policy";
import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version";
import type { SidecarContainerInput } from "../../envoy/sidecar/container";
import { policyDocument, renderPolicy, type PolicyDocument } from "../iam/policy-document";
import { AcquisitionCa, API_PASSTHROUGH_TEMPLATE, ServiceCa, templateArn } from "./certificate-authorities";
import { farcarTaskIdentityPolicy } from "./policies";

export interface TrustBundleSecretProps {
  readonly name: string;
  readonly pem: string;
}

/** The mesh CA bundle as a secret; ECS injects it into the sidecar (FARCAR_TRUST_BUNDLE). */
export class TrustBundleSecret extends Construct {
  public readonly secret: SecretsmanagerSecret;

  constructor(scope: Construct, id: string, props: TrustBundleSecretProps) {
    super(scope, id);
    this.secret = new SecretsmanagerSecret(this, "secret", {
      name: props.name,
      description: "CA bundle Farcars use to verify the parent mesh (public certificates)",
      recoveryWindowInDays: 7,
    });
    new SecretsmanagerSecretVersion(this, "value", { secretId: this.secret.id, secretString: props.pem });
  }
}

export interface ServiceIdentityProps {
  readonly source: "privateCa" | "secretsManager";
  readonly acquisition: string;
  readonly environment: string;
  readonly service: string;
  readonly spiffeId: string;
  readonly partition: string;
  readonly region: string;
  readonly organization: string;
  readonly certificateTtlHours: number;
  readonly trustBundleSecretArn: string;
  /** Required for privateCa. */
  readonly acquisitionCa?: AcquisitionCa;
}

export class ServiceIdentity extends Construct {
  public readonly serviceCa?: ServiceCa;
  public readonly secret?: SecretsmanagerSecret;
  /** Identity permissions of the Farcar's task role. */
  public readonly taskPolicy: PolicyDocument;
  /** The sidecar's configuration. */
  public readonly sidecar: SidecarContainerInput;
  /** False while the issuing CA waits for the acquisition CA's signing ceremony. */
  public readonly ready: boolean;

  constructor(scope: Construct, id: string, props: ServiceIdentityProps) {
    super(scope, id);
    if (props.source === "privateCa") {
      const passthrough = templateArn(props.partition, API_PASSTHROUGH_TEMPLATE);
      if (!props.acquisitionCa) throw new Error(`${props.service}: privateCa identity needs the acquisition CA`);
      this.serviceCa = new ServiceCa(this, "issuing-ca", {
        acquisition: props.acquisition,
        environment: props.environment,
        service: props.service,
        organization: props.organization,
        partition: props.partition,
        acquisitionCa: props.acquisitionCa,
      });
      this.ready = props.acquisitionCa.active;
      this.taskPolicy = farcarTaskIdentityPolicy({ caArn: this.serviceCa.caArn, templateArn: passthrough });
      this.sidecar = {
        source: "privateCa",
        spiffeId: props.spiffeId,
        region: props.region,
        trustBundleSecretArn: props.trustBundleSecretArn,
        caArn: this.serviceCa.caArn,
        templateArn: passthrough,
        certTtlHours: props.certificateTtlHours,
      };
    } else {
      this.secret = new SecretsmanagerSecret(this, "svid", {
        name: `farcar/${props.acquisition}/${props.environment}/${props.service}/svid`,
        description: `X.509-SVID of ${props.spiffeId}, written by the parent's identity system`,
        recoveryWindowInDays: 7,
      });
      this.ready = true;
      this.taskPolicy = farcarTaskIdentityPolicy({ secretArn: this.secret.arn });
      this.sidecar = {
        source: "secretsManager",
        spiffeId: props.spiffeId,
        region: props.region,
        trustBundleSecretArn: props.trustBundleSecretArn,
        secretArn: this.secret.arn,
      };
    }
  }

  /** Deny reading the SVID secret to every principal but the Farcar's task role. */
  public restrictSecretTo(taskRoleArn: string): void {
    if (!this.secret) return;
    new SecretsmanagerSecretPolicy(this, "svid-policy", {
      secretArn: this.secret.arn,
      blockPublicPolicy: true,
      policy: renderPolicy(secretReadableOnlyBy(taskRoleArn)),
    });
  }
}

/** Resource policy of a Farcar's credential secret (SVID, client certificate, header): nobody but its task role reads it. */
export function secretReadableOnlyBy(taskRoleArn: string): PolicyDocument {
  return policyDocument({
    Sid: "OnlyItsFarcarReadsThisSecret",
    Effect: "Deny",
    Principal: "*",
    Action: "secretsmanager:GetSecretValue",
    Resource: "*",
    Condition: { StringNotEquals: { "aws:PrincipalArn": taskRoleArn } },
  });
}
