/**
 * The resolved fleet: what stacks consume. Defaults are applied here, once, so no construct has
 * to know a default of its own; paths are resolved and file contents read.
 */
import type { CpuArchitecture, FleetInput, FarcarSettingsInput, HttpMethod } from "./schema";

export interface FarcarSettings {
  /** Envoy Farcar image; undefined = the stack's own ECR repository at FARCAR_IMAGE_TAG. */
  readonly image?: string;
  /** Identity sidecar image; undefined = the stack's own ECR repository at FARCAR_IMAGE_TAG. */
  readonly identityImage?: string;
  readonly cpu: number;
  readonly memoryMiB: number;
  /** Fargate runtimePlatform.cpuArchitecture. */
  readonly cpuArchitecture: CpuArchitecture;
  readonly desiredCount: number;
  readonly logRetentionDays: number;
}

/**
 * Tag of the Farcar images (Envoy and identity sidecar) in the proxy account's ECR repositories.
 * Proxy VPCs have no internet access, so images are pulled from ECR through VPC endpoints.
 */
export const FARCAR_IMAGE_TAG = "0.1.0";

export const FARCAR_DEFAULTS: FarcarSettings = {
  cpu: 512,
  memoryMiB: 1024,
  cpuArchitecture: "X86_64",
  desiredCount: 2,
  logRetentionDays: 30,
};

export const DEFAULT_ACCESS_ROLE = "OrganizationAccountAccessRole";
/**
 * Platform roles every guardrail exempts by default: Control Tower's execution role, the roles
 * StackSets creates with service-managed permissions (`stacksets-exec-*`) and the conventional
 * self-managed StackSets execution role (AWS CloudFormation user guide, "Configure a custom
 * execution role template for StackSets"; Control Tower's own SCP controls exempt principals the
 * same way, with `ArnNotLike aws:PrincipalArn`).
 */
export const DEFAULT_GUARDRAIL_EXEMPT_ROLES = ["AWSControlTowerExecution", "stacksets-exec-*", "AWSCloudFormationStackSetExecutionRole"];
export const DEFAULT_CERT_TTL_HOURS = 24;
export const DEFAULT_WORKSPACE_PREFIX = "farcar-";

export interface TargetRef {
  readonly name: string;
  readonly spiffeId: string;
  /** host:port */
  readonly address: string;
  readonly host: string;
  readonly port: number;
}

export interface InboundService {
  readonly name: string;
  readonly roleArns: readonly string[];
  readonly targets: readonly TargetRef[];
  /** Methods the roles may use (all seven unless the fleet file narrows them). */
  readonly methods: readonly HttpMethod[];
  /** SPIFFE ID this service's Farcar presents in the mesh. */
  readonly spiffeId: string;
}

export type UpstreamAuth =
  | {
      readonly kind: "sigv4";
      readonly service: string;
      readonly region: string;
      readonly roleArn?: string;
      /** CA bundle (PEM) for the upstream's TLS certificate; absent = public CAs. */
      readonly caBundlePem?: string;
    }
  | { readonly kind: "mtls"; readonly caBundlePem: string; readonly caBundlePath: string; readonly serverSan?: string }
  | { readonly kind: "header"; readonly name: string; readonly caBundlePem?: string };

export interface OutboundService {
  readonly name: string;
  readonly callerRoleArns: readonly string[];
  readonly methods: readonly HttpMethod[];
  readonly upstream: { readonly url: string; readonly auth: UpstreamAuth };
}

/** Where a Farcar's upstreams are (CIDRs it may connect to) and, optionally, the route there. */
export interface UpstreamRouting {
  /** Transit gateway the CIDRs are routed through; absent = the route is managed outside Farcar. */
  readonly transitGatewayId?: string;
  readonly cidrs: readonly string[];
}

/** Route to the callers of a caller endpoint VPC. */
export interface CallerRouting {
  readonly transitGatewayId: string;
}

/** Private DNS associated with a proxy VPC (lists empty when not given). */
export interface DnsAssociations {
  readonly resolverRuleIds: readonly string[];
  readonly hostedZoneIds: readonly string[];
}

export interface FleetEnvironment {
  readonly acquisition: string;
  readonly environment: string;
  /** `<acquisition>-<environment>` */
  readonly key: string;
  /** Region of this environment's proxy stacks (its own `region`, else the fleet's). */
  readonly region: string;
  /** Created accounts have `email`; adopted ones `id`. */
  readonly proxyAccount: { readonly id?: string; readonly email?: string; readonly name: string };
  readonly egressProxyAccountId?: string;
  /** Egress side (present when the environment has outbound services). */
  readonly egress?: {
    readonly accountId: string;
    readonly accessRoleName: string;
    readonly network: {
      readonly availabilityZones: readonly string[];
      readonly proxyVpcCidr: string;
      readonly callerVpcCidr: string;
      readonly callerCidrs: readonly string[];
      readonly callerRouting?: CallerRouting;
      /** Always set once the fleet file is valid (required for outbound services). */
      readonly upstreamRouting?: UpstreamRouting;
      readonly upstreamDns?: DnsAssociations;
    };
  };
  readonly network: {
    readonly availabilityZones: readonly string[];
    readonly proxyVpcCidr: string;
    readonly acquisitionVpcCidr: string;
    readonly acquisitionCallerCidrs: readonly string[];
    readonly callerRouting?: CallerRouting;
  };
  readonly identity: {
    readonly source: "privateCa" | "secretsManager";
    readonly acquisitionCaArn?: string;
    /** Signed certificate + chain of the created acquisition CA (PEM), once the ceremony is done. */
    readonly acquisitionCaCertificatePem?: string;
    readonly certificateTtlHours: number;
    /** secretsManager: role of the parent's identity system that writes SVID secrets (customer managed key then). */
    readonly svidWriterArn?: string;
  };
  readonly farcar: FarcarSettings;
  readonly inbound: readonly InboundService[];
  readonly outbound: readonly OutboundService[];
}

export interface Fleet {
  /** Absolute path of the fleet file. */
  readonly file: string;
  readonly region: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly organization: {
    readonly managementAccountId: string;
    readonly proxyOrganizationalUnitId: string;
    readonly accountAccessRoleName: string;
    readonly guardrails: {
      /** Exempt, like the access role, from the identity guardrails. */
      readonly breakGlassRoleName?: string;
      /** Exempt from every guardrail (Control Tower / StackSets); names, optionally ending in `*`. */
      readonly exemptRoleNames: readonly string[];
    };
  };
  readonly mesh: {
    readonly trustDomain: string;
    readonly trustBundlePath: string;
    readonly trustBundlePem: string;
    readonly spiffeIdTemplate: string;
    /** Always set once the fleet file is valid and has inbound services. */
    readonly routing?: UpstreamRouting;
    readonly dns?: DnsAssociations;
    readonly services: Readonly<Record<string, { readonly spiffeId: string; readonly address: string }>>;
  };
  readonly terraformCloud?: {
    readonly organization: string;
    readonly project?: string;
    readonly workspacePrefix: string;
    readonly hostname: string;
  };
  readonly s3Backend?: { readonly bucket: string; readonly region: string; readonly keyPrefix: string; readonly dynamodbTable?: string };
  readonly environments: readonly FleetEnvironment[];
}

/**
 * Every region the fleet's stacks run in (the fleet's own, then each environment's), sorted and
 * without repeats: the region list of the proxy-OU guardrail SCP.
 */
export function fleetRegions(fleet: Pick<Fleet, "region" | "environments">): string[] {
  return [...new Set([fleet.region, ...fleet.environments.map((e) => e.region)])].sort();
}

/** Fleet-wide settings overridden by environment settings, over the built-in defaults. */
export function resolveFarcarSettings(
  fleetLevel: FarcarSettingsInput | undefined,
  envLevel: FarcarSettingsInput | undefined,
): FarcarSettings {
  return { ...FARCAR_DEFAULTS, ...strip(fleetLevel), ...strip(envLevel) } as FarcarSettings;
}

function strip<T extends object>(value: T | undefined): Partial<T> {
  if (!value) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export type { FleetInput };
