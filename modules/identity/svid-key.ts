/**
 * Issue 11 item 13: SVID secrets written by the parent's identity system from another account.
 *
 * Cross-account writes need a resource policy on each secret AND the writer's own identity policy,
 * and the secrets must be encrypted with a customer managed key: the AWS managed key
 * aws/secretsmanager cannot be used across accounts (Secrets Manager user guide, "Access AWS
 * Secrets Manager secrets from a different account", auth-and-access_examples_cross.html). Secrets
 * Manager asks KMS for a data key when a value is written (kms:GenerateDataKey) and decrypts it when
 * one is read (kms:Decrypt), with the encryption context SecretARN ("Secret encryption and
 * decryption", security-encryption.html).
 *
 * The key policy: the account administers the key (the default key policy's root statement, without
 * which nobody could manage it); the writer may only generate data keys through Secrets Manager;
 * each Farcar's task role may only decrypt, through Secrets Manager, its own secret.
 */
import { Construct } from "constructs";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { KmsKeyPolicy } from "@cdktf/provider-aws/lib/kms-key-policy";
import { policyDocument, renderPolicy, type PolicyDocument, type PolicyStatement } from "../iam/policy-document";

export interface SvidSecretKeyProps {
  readonly acquisition: string;
  readonly environment: string;
}

/** One customer managed key per environment for its SVID secrets. */
export class SvidSecretKey extends Construct {
  public readonly key: KmsKey;

  constructor(scope: Construct, id: string, props: SvidSecretKeyProps) {
    super(scope, id);
    this.key = new KmsKey(this, "key", {
      description: `Farcar SVID secrets of ${props.acquisition}/${props.environment} (written by the parent's identity system)`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
    });
  }

  /** Attach the key policy once every reader is known. */
  public grant(input: Omit<SvidKeyPolicyInput, "keyArn">): void {
    new KmsKeyPolicy(this, "policy", { keyId: this.key.keyId, policy: renderPolicy(svidKeyPolicy(input)) });
  }
}

export interface SvidKeyPolicyInput {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly writerArn: string;
  /** Each reader with the one secret it may decrypt. */
  readonly readers: ReadonlyArray<{ readonly taskRoleArn: string; readonly secretArn: string }>;
}

export function svidKeyPolicy(input: SvidKeyPolicyInput): PolicyDocument {
  const viaSecretsManager = { "kms:ViaService": `secretsmanager.${input.region}.amazonaws.com` };
  const statements: PolicyStatement[] = [
    {
      Sid: "AccountAdministersTheKey",
      Effect: "Allow",
      Principal: { AWS: `arn:${input.partition}:iam::${input.accountId}:root` },
      Action: "kms:*",
      Resource: "*",
    },
    {
      Sid: "ParentIdentitySystemWritesSvids",
      Effect: "Allow",
      Principal: { AWS: input.writerArn },
      Action: "kms:GenerateDataKey",
      Resource: "*",
      Condition: { StringEquals: viaSecretsManager },
    },
    ...input.readers.map(
      (r, i): PolicyStatement => ({
        Sid: `FarcarReadsItsOwnSvid${i}`,
        Effect: "Allow",
        Principal: { AWS: r.taskRoleArn },
        Action: "kms:Decrypt",
        Resource: "*",
        Condition: { StringEquals: { ...viaSecretsManager, "kms:EncryptionContext:SecretARN": r.secretArn } },
      }),
    ),
  ];
  return policyDocument(...statements);
}
