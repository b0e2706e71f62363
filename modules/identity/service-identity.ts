/**
 * Where one Farcar's SVID comes from, and who may touch it.
 *   - privateCa: the environment's SVID issuer (SvidIssuer); the task role may invoke this
 *     service's alias of it only, and the issuer writes this service's SPIFFE ID, no other.
 *   - secretsManager: a per-service secret the parent's identity system writes; only this
 *     Farcar's task role may read it (identity policy + a deny-everyone-else resource policy).
 */
import { Construct } from "constructs";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SecretsmanagerSecretPolicy } from "@cdktf/provider-aws/lib/secretsmanager-secret-policy";
import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version";
import type { SidecarContainerInput } from "../../envoy/sidecar/container";
import { policyDocument, renderPolicy, type PolicyDocument, type PolicyStatement } from "../iam/policy-document";
import { farcarTaskIdentityPolicy } from "./policies";
import type { SvidIssuer } from "./issuer";

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
  readonly region: string;
  readonly certificateTtlHours: number;
  readonly trustBundleSecretArn: string;
  /** The environment's issuer; required for privateCa. */
  readonly issuer?: SvidIssuer;
  /** False while the environment CA waits for its signing ceremony (privateCa). @default true */
  readonly caActive?: boolean;
  /**
   * secretsManager: customer managed key for the SVID secret and the role that writes it.
   * @default - aws/secretsmanager, written by principals of the proxy account only
   */
  readonly writer?: { readonly kmsKeyArn: string; readonly writerArn: string };
}

export class ServiceIdentity extends Construct {
  public readonly secret?: SecretsmanagerSecret;
  /** Identity permissions of the Farcar's task role. */
  public readonly taskPolicy: PolicyDocument;
  /** The sidecar's configuration. */
  public readonly sidecar: SidecarContainerInput;
  /** False while the environment CA waits for its signing ceremony. */
  public readonly ready: boolean;

  constructor(scope: Construct, id: string, props: ServiceIdentityProps) {
    super(scope, id);
    if (props.source === "privateCa") {
      const alias = props.issuer?.aliases[props.service];
      if (!alias) throw new Error(`${props.service}: privateCa identity needs the environment issuer with an alias for this service`);
      this.ready = props.caActive ?? true;
      this.taskPolicy = farcarTaskIdentityPolicy({ issuerAliasArn: alias.arn });
      this.sidecar = {
        source: "privateCa",
        spiffeId: props.spiffeId,
        region: props.region,
        trustBundleSecretArn: props.trustBundleSecretArn,
        issuerArn: alias.arn,
        certTtlHours: props.certificateTtlHours,
      };
    } else {
      this.writerArn = props.writer?.writerArn;
      this.secret = new SecretsmanagerSecret(this, "svid", {
        name: `farcar/${props.acquisition}/${props.environment}/${props.service}/svid`,
        description: `X.509-SVID of ${props.spiffeId}, written by the parent's identity system`,
        recoveryWindowInDays: 7,
        kmsKeyId: props.writer?.kmsKeyArn,
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

  private writerArn?: string;

  /** Deny reading the SVID secret to every principal but the Farcar's task role (and let the writer, if any, put values). */
  public restrictSecretTo(taskRoleArn: string): void {
    if (!this.secret) return;
    const readOnly = secretReadableOnlyBy(taskRoleArn);
    new SecretsmanagerSecretPolicy(this, "svid-policy", {
      secretArn: this.secret.arn,
      blockPublicPolicy: true,
      policy: renderPolicy(this.writerArn ? policyDocument(...readOnly.Statement, svidWriterStatement(this.writerArn)) : readOnly),
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

/**
 * The parent's identity system (usually another account) writes the SVID: cross-account access
 * needs this resource-policy grant and the writer's own identity policy. It cannot read the value.
 */
export function svidWriterStatement(writerArn: string): PolicyStatement {
  return {
    Sid: "ParentIdentitySystemWritesTheSvid",
    Effect: "Allow",
    Principal: { AWS: writerArn },
    Action: ["secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage", "secretsmanager:DescribeSecret"],
    Resource: "*",
  };
}
