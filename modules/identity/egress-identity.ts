/**
 * The acquisition-native identity of one egress Farcar, by upstream auth kind (envoy/egress.ts
 * `egressIdentityNeeds`):
 *   - sigv4: the task role signs; with `roleArn`, the sidecar assumes that role and serves its
 *     credentials to Envoy on loopback (the task role may assume exactly that role);
 *   - mtls: a client certificate secret the acquisition's PKI fills, and the acquisition's CA
 *     bundle;
 *   - header: a credential secret the acquisition fills; Envoy injects it, never logs it.
 * Secrets hold credentials only this Farcar's task role may read (identity policy + a deny-all-
 * others resource policy).
 */
import { Construct } from "constructs";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SecretsmanagerSecretPolicy } from "@cdktf/provider-aws/lib/secretsmanager-secret-policy";
import { egressIdentityNeeds, egressRoleSessionName, type EgressUpstreamAuth, type EgressUpstreamCa } from "../../envoy/egress";
import type { EgressSidecarInput } from "../../envoy/sidecar/container";
import { renderPolicy, type PolicyDocument } from "../iam/policy-document";
import { egressNeedsTaskPolicy, farcarEgressTaskPolicy } from "./policies";
import { secretReadableOnlyBy, TrustBundleSecret } from "./service-identity";

export interface EgressIdentityProps {
  readonly acquisition: string;
  readonly environment: string;
  readonly service: string;
  readonly region: string;
  readonly auth: EgressUpstreamAuth;
  /** CA bundle (PEM) the upstream's certificate must chain to; absent = the image's public CAs. */
  readonly upstreamCaPem?: string;
}

export class EgressIdentity extends Construct {
  public readonly upstreamCa: EgressUpstreamCa;
  public readonly clientCertificateSecret?: SecretsmanagerSecret;
  public readonly headerSecret?: SecretsmanagerSecret;
  public readonly trustBundle?: TrustBundleSecret;
  /** Sidecar configuration; absent when the Farcar needs no sidecar (sigv4 as the task role, public CAs). */
  public readonly sidecar?: EgressSidecarInput;
  /** Task role permissions; absent when the task role needs none. */
  public readonly taskPolicy?: PolicyDocument;
  /** The role that signs sigv4 requests, when it is not the task role. */
  public readonly assumeRoleArn?: string;

  constructor(scope: Construct, id: string, props: EgressIdentityProps) {
    super(scope, id);
    const auth = props.auth;
    this.upstreamCa = auth.kind === "mtls" || props.upstreamCaPem ? "trustBundle" : "system";
    const needs = egressIdentityNeeds(auth, { upstreamCa: this.upstreamCa });
    const prefix = `farcar/${props.acquisition}/${props.environment}/egress/${props.service}`;

    if (needs.trustBundle) {
      const pem = auth.kind === "mtls" ? auth.caBundlePem : props.upstreamCaPem;
      if (!pem) throw new Error(`${props.service}: the upstream CA bundle is missing`);
      this.trustBundle = new TrustBundleSecret(this, "upstream-ca", { name: `${prefix}/upstream-ca-bundle`, pem });
    }
    if (needs.clientCertificate) {
      this.clientCertificateSecret = new SecretsmanagerSecret(this, "client-certificate", {
        name: `${prefix}/client-certificate`,
        description: `Client certificate and key (from the acquisition's PKI) the ${props.service} Farcar presents upstream`,
        recoveryWindowInDays: 7,
      });
    }
    if (needs.headerSecret) {
      this.headerSecret = new SecretsmanagerSecret(this, "header-credential", {
        name: `${prefix}/header-credential`,
        description: `Credential the ${props.service} Farcar sends in the ${needs.headerName} header`,
        recoveryWindowInDays: 7,
      });
    }
    this.assumeRoleArn = needs.sigv4AssumeRoleArn;

    const secretsOrRole = {
      clientCertificateSecretArn: this.clientCertificateSecret?.arn,
      headerSecretArn: this.headerSecret?.arn,
      assumeRoleArn: this.assumeRoleArn,
    };
    if (egressNeedsTaskPolicy(secretsOrRole)) this.taskPolicy = farcarEgressTaskPolicy(secretsOrRole);
    if (this.taskPolicy || this.trustBundle) {
      this.sidecar = {
        region: props.region,
        trustBundleSecretArn: this.trustBundle?.secret.arn,
        ...secretsOrRole,
        roleSessionName: this.assumeRoleArn ? egressRoleSessionName(props) : undefined,
      };
    }
  }

  /** Deny reading this Farcar's credential secrets to every principal but its task role. */
  public restrictSecretsTo(taskRoleArn: string): void {
    for (const [name, secret] of [
      ["client-certificate-policy", this.clientCertificateSecret],
      ["header-credential-policy", this.headerSecret],
    ] as const) {
      if (!secret) continue;
      new SecretsmanagerSecretPolicy(this, name, {
        secretArn: secret.arn,
        blockPublicPolicy: true,
        policy: renderPolicy(secretReadableOnlyBy(taskRoleArn)),
      });
    }
  }
}
