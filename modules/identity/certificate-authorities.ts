/**
 * The PKI behind Farcar SVIDs (AWS Private CA):
 *
 *   parent mesh root (out of band)
 *     └─ acquisition CA        one per acquisition × environment; created here (its CSR is signed
 *        │                     by the parent's root in a ceremony, see help/identity.md) or adopted
 *        └─ service CA         one per inbound service, SHORT_LIVED_CERTIFICATE mode, signed here
 *             └─ SVID          issued by the Farcar's sidecar with the APIPassthrough template
 *
 * Why a CA per service: AWS Private CA cannot restrict which SAN a caller puts into an
 * APIPassthrough request, so whoever may issue from a CA may issue any SPIFFE ID from it. Giving
 * each Farcar its own issuing CA, and its task role IssueCertificate on that CA only, keeps
 * "only Farcar X can be X".
 */
import { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import { AcmpcaCertificate } from "@cdktf/provider-aws/lib/acmpca-certificate";
import { AcmpcaCertificateAuthority } from "@cdktf/provider-aws/lib/acmpca-certificate-authority";
import { AcmpcaCertificateAuthorityCertificate } from "@cdktf/provider-aws/lib/acmpca-certificate-authority-certificate";

/** Template for a CA certificate that may issue end-entity certificates only. */
export const SUBORDINATE_CA_TEMPLATE = "SubordinateCACertificate_PathLen0/V1";

/** Template that copies the request's APIPassthrough SANs (the SPIFFE ID) into an SVID. */
export const API_PASSTHROUGH_TEMPLATE = "EndEntityCertificate_APIPassthrough/V1";

export function templateArn(partition: string, template: string): string {
  return `arn:${partition}:acm-pca:::template/${template}`;
}

/** Validity of each service CA certificate (must end before the acquisition CA's). */
export const SERVICE_CA_VALIDITY_YEARS = 2;

export interface AcquisitionCaProps {
  readonly acquisition: string;
  readonly environment: string;
  readonly organization: string;
  /** Adopt an existing, active CA instead of creating one. */
  readonly adoptedCaArn?: string;
  /**
   * The created CA's certificate, signed by the parent's root, followed by its chain (PEM).
   * @default - none yet: the CA waits for the ceremony and service CAs are not activated
   */
  readonly signedCertificatePem?: string;
}

/** The acquisition CA of one environment. */
export class AcquisitionCa extends Construct {
  public readonly caArn: string;
  /** The CA created here (absent when adopted). */
  public readonly ca?: AcmpcaCertificateAuthority;
  /** True when the CA can sign service CAs now (adopted, or its signed certificate installed). */
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
      usageMode: "GENERAL_PURPOSE",
      permanentDeletionTimeInDays: 7,
      certificateAuthorityConfiguration: {
        keyAlgorithm: "EC_prime256v1",
        signingAlgorithm: "SHA256WITHECDSA",
        subject: {
          commonName: `Farcar ${props.acquisition} ${props.environment} acquisition CA`,
          organization: props.organization,
          organizationalUnit: `${props.acquisition}/${props.environment}`,
        },
      },
      lifecycle: { preventDestroy: true },
    });
    this.caArn = this.ca.arn;
    new TerraformOutput(this, "acquisition_ca_csr", {
      staticId: true,
      value: this.ca.certificateSigningRequest,
      description: "CSR of the acquisition CA: have the parent's root sign it, then set identity.acquisitionCaCertificate",
    });
    if (props.signedCertificatePem) {
      const [certificate, ...chain] = splitPem(props.signedCertificatePem);
      new AcmpcaCertificateAuthorityCertificate(this, "installed", {
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

export interface ServiceCaProps {
  readonly acquisition: string;
  readonly environment: string;
  readonly service: string;
  readonly organization: string;
  readonly partition: string;
  readonly acquisitionCa: AcquisitionCa;
}

/** A service's own issuing CA (short-lived certificates only), signed by the acquisition CA. */
export class ServiceCa extends Construct {
  public readonly ca: AcmpcaCertificateAuthority;
  public readonly caArn: string;
  /** Certificate issued by the acquisition CA (absent while the acquisition CA is not active). */
  public readonly certificate?: AcmpcaCertificate;

  constructor(scope: Construct, id: string, props: ServiceCaProps) {
    super(scope, id);
    this.ca = new AcmpcaCertificateAuthority(this, "ca", {
      type: "SUBORDINATE",
      usageMode: "SHORT_LIVED_CERTIFICATE",
      permanentDeletionTimeInDays: 7,
      certificateAuthorityConfiguration: {
        keyAlgorithm: "EC_prime256v1",
        signingAlgorithm: "SHA256WITHECDSA",
        subject: {
          commonName: `Farcar ${props.acquisition}/${props.environment}/${props.service}`,
          organization: props.organization,
          organizationalUnit: `${props.acquisition}/${props.environment}`,
        },
      },
    });
    this.caArn = this.ca.arn;
    if (!props.acquisitionCa.active) return;
    this.certificate = new AcmpcaCertificate(this, "certificate", {
      certificateAuthorityArn: props.acquisitionCa.caArn,
      certificateSigningRequest: this.ca.certificateSigningRequest,
      signingAlgorithm: "SHA256WITHECDSA",
      templateArn: templateArn(props.partition, SUBORDINATE_CA_TEMPLATE),
      validity: { type: "YEARS", value: String(SERVICE_CA_VALIDITY_YEARS) },
    });
    new AcmpcaCertificateAuthorityCertificate(this, "installed", {
      certificateAuthorityArn: this.ca.arn,
      certificate: this.certificate.certificate,
      certificateChain: this.certificate.certificateChain,
    });
  }
}

/** PEM blocks of a bundle, each newline-terminated. */
export function splitPem(pem: string): string[] {
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((b) => `${b}\n`);
}
