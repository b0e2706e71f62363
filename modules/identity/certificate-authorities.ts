/**
 * The PKI behind Farcar SVIDs (AWS Private CA):
 *
 *   parent mesh root (out of band)
 *     └─ environment CA     ONE per acquisition × environment, SHORT_LIVED_CERTIFICATE mode; created
 *        │                  here (its CSR signed by the parent's root in a ceremony, help/identity.md)
 *        │                  or adopted (`identity.acquisitionCaArn`)
 *        └─ SVID            issued by the environment's issuer (issuer/), and by nothing else
 *
 * No CA per service: a CA constrains nothing about the SAN (whoever may issue from it may write
 * any SPIFFE ID), so isolation comes from the issuer, which alone may call IssueCertificate and
 * writes each caller's one SPIFFE ID itself (modules/identity/issuer.ts). The cost is one CA per
 * environment, whatever the number of services.
 */
import { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import { AcmpcaCertificateAuthority } from "@cdktf/provider-aws/lib/acmpca-certificate-authority";
import { AcmpcaCertificateAuthorityCertificate } from "@cdktf/provider-aws/lib/acmpca-certificate-authority-certificate";
import { limitedName } from "../../config/names";

/** Template that copies the request's APIPassthrough SANs (the SPIFFE ID) into an SVID. */
export const API_PASSTHROUGH_TEMPLATE = "EndEntityCertificate_APIPassthrough/V1";

export function templateArn(partition: string, template: string): string {
  return `arn:${partition}:acm-pca:::template/${template}`;
}

/**
 * X.500 attributes of a CA subject are at most 64 characters (ub-common-name, ub-organization-name,
 * ub-organizational-unit-name in RFC 5280 Appendix A; the AWS provider validates common_name,
 * organization and organizational_unit at ≤ 64). Names longer than that keep a readable head and a
 * hash of the whole (config/names.ts limitedName), so two environments never share a subject.
 */
export const CA_SUBJECT_ATTRIBUTE_MAX = 64;

/** The environment CA's subject: deterministic, each attribute within CA_SUBJECT_ATTRIBUTE_MAX. */
export function caSubjectNames(input: { acquisition: string; environment: string; organization: string }): {
  commonName: string;
  organization: string;
  organizationalUnit: string;
} {
  return {
    commonName: limitedName(["Farcar", input.acquisition, input.environment, "CA"], CA_SUBJECT_ATTRIBUTE_MAX),
    organization: limitedName([input.organization], CA_SUBJECT_ATTRIBUTE_MAX),
    organizationalUnit: limitedName([input.acquisition, input.environment], CA_SUBJECT_ATTRIBUTE_MAX),
  };
}

export interface AcquisitionCaProps {
  readonly acquisition: string;
  readonly environment: string;
  readonly organization: string;
  /** Adopt an existing, active CA instead of creating one. */
  readonly adoptedCaArn?: string;
  /**
   * The created CA's certificate, signed by the parent's root, followed by its chain (PEM).
   * @default - none yet: the CA waits for the ceremony and nothing issues
   */
  readonly signedCertificatePem?: string;
}

/** The one CA of an acquisition environment (short-lived certificates only). */
export class AcquisitionCa extends Construct {
  public readonly caArn: string;
  /** The CA created here (absent when adopted). */
  public readonly ca?: AcmpcaCertificateAuthority;
  /**
   * The installed CA certificate (absent when adopted, or before the ceremony). Everything that
   * issues — the issuer and the ECS services whose sidecars call it — depends on it, so the
   * ceremony apply installs the certificate before anything asks for an SVID.
   */
  public readonly installed?: AcmpcaCertificateAuthorityCertificate;
  /** True when the CA can issue now (adopted, or its signed certificate installed). */
  public readonly active: boolean;

  constructor(scope: Construct, id: string, props: AcquisitionCaProps) {
    super(scope, id);
    if (props.adoptedCaArn) {
      this.caArn = props.adoptedCaArn;
      this.active = true;
      return;
    }
    this.ca = new AcmpcaCertificateAuthority(this, "ca", {
      type: "SUBORDINATE",
      // ≤ 7-day certificates, no revocation infrastructure, the lower monthly price.
      usageMode: "SHORT_LIVED_CERTIFICATE",
      permanentDeletionTimeInDays: 7,
      certificateAuthorityConfiguration: {
        keyAlgorithm: "EC_prime256v1",
        signingAlgorithm: "SHA256WITHECDSA",
        subject: caSubjectNames(props),
      },
      lifecycle: { preventDestroy: true },
    });
    this.caArn = this.ca.arn;
    new TerraformOutput(this, "acquisition_ca_csr", {
      staticId: true,
      value: this.ca.certificateSigningRequest,
      description: "CSR of the environment CA: have the parent's root sign it, then set identity.acquisitionCaCertificate",
    });
    if (props.signedCertificatePem) {
      const [certificate, ...chain] = splitPem(props.signedCertificatePem);
      this.installed = new AcmpcaCertificateAuthorityCertificate(this, "installed", {
        certificateAuthorityArn: this.ca.arn,
        certificate,
        certificateChain: chain.length ? chain.join("") : undefined,
      });
      this.active = true;
    } else {
      this.active = false;
    }
  }
}

/** PEM blocks of a bundle, each newline-terminated. */
export function splitPem(pem: string): string[] {
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((b) => `${b}\n`);
}
