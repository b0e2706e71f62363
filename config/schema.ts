/**
 * The fleet file schema: the contract between platform engineers and Farcar.
 *
 * One zod schema is the single source of truth for parsing, for the TypeScript types every stack
 * consumes, and for the published JSON Schema (`help/fleet.schema.json`, written by
 * `npm run schema`). Every field carries a description; optional fields document their default.
 *
 * Compatibility rule (DESIGN.md): a fleet file written against an earlier version must keep
 * synthesizing. New fields are optional with a default; existing fields are never renamed.
 */
import { z } from "zod";

/** Lowercase DNS label: names become URL and SPIFFE path segments, resource names and keys. */
export const DNS_LABEL = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
export const ACCOUNT_ID = /^\d{12}$/;
/** IAM role ARN in any AWS partition, with an optional path. */
export const ROLE_ARN = /^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
export const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;
/** IAM role name (no path): 1-64 of [\w+=,.@-]. */
export const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
/** A role name, or a prefix of one followed by `*` (matched with ArnLike). */
export const ROLE_NAME_PATTERN = /^[\w+=,.@-]{1,64}\*?$/;

/** Methods an API Gateway `ANY` method answers (and that appear in execute-api ARNs). */
export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

const methods = z
  .array(z.enum(HTTP_METHODS, { message: `methods are ${HTTP_METHODS.join(", ")} (uppercase)` }))
  .min(1, { message: "list at least one method, or leave methods out to allow all" })
  .optional()
  .describe(
    "HTTP methods the callers may use; the resource policy allows only these. Fewer methods make a shorter resource policy (more services fit under API Gateway's 8192 characters). @default all seven: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS",
  );

/** Fargate CPU architectures (ECS task definition runtimePlatform.cpuArchitecture). */
export const CPU_ARCHITECTURES = ["X86_64", "ARM64"] as const;
export type CpuArchitecture = (typeof CPU_ARCHITECTURES)[number];

/** Fargate task CPU units. */
export const FARGATE_CPU_UNITS = [256, 512, 1024, 2048, 4096] as const;
/** Retention values CloudWatch Logs accepts (days). */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/** `a, b or c` */
export function listOr(values: readonly (string | number)[]): string {
  return values.length > 1 ? `${values.slice(0, -1).join(", ")} or ${values[values.length - 1]}` : String(values[0]);
}

const literals = (values: readonly number[]) => values.map((v) => z.literal(v)) as unknown as [z.ZodLiteral<number>, z.ZodLiteral<number>];

const name = (what: string) =>
  z
    .string()
    .regex(DNS_LABEL, {
      message: `${what} must be a lowercase DNS label: a-z, 0-9 and '-', starting with a letter, at most 63 characters (e.g. "checkout")`,
    });

const accountId = z
  .string({ message: 'an AWS account ID must be a quoted string of 12 digits, e.g. "222222222222"' })
  .regex(ACCOUNT_ID, { message: 'an AWS account ID is exactly 12 digits, quoted, e.g. "222222222222"' });

const roleArn = z
  .string()
  .regex(ROLE_ARN, { message: "expected an IAM role ARN such as arn:aws:iam::333333333333:role/checkout-staging" });

const cidr = z.string().describe("IPv4 CIDR block, e.g. 10.64.0.0/20");

const tags = z
  .record(z.string().min(1).max(128), z.string().max(256))
  .describe("Tags merged onto every resource (AWS limits: key ≤ 128, value ≤ 256 characters).");

const farcarSettings = z
  .strictObject({
    image: z
      .string()
      .min(1)
      .optional()
      .describe("Envoy Farcar container image (pin a tag or digest). @default the proxy account ECR repository farcar/envoy (built from envoy/Dockerfile)"),
    identityImage: z
      .string()
      .min(1)
      .optional()
      .describe("Identity sidecar container image (built from envoy/sidecar/Dockerfile). @default the proxy account ECR repository farcar/identity"),
    cpu: z
      .union(literals(FARGATE_CPU_UNITS), { message: `Fargate task CPU units must be one of ${FARGATE_CPU_UNITS.join(", ")}` })
      .optional()
      .describe("Fargate task CPU units. @default 512"),
    memoryMiB: z.number().int().min(512).max(30720).optional().describe("Fargate task memory in MiB. @default 1024"),
    cpuArchitecture: z
      .enum(CPU_ARCHITECTURES, { message: `cpuArchitecture must be ${listOr(CPU_ARCHITECTURES)} (uppercase)` })
      .optional()
      .describe(
        "CPU architecture of the Farcar tasks. ARM64 (Graviton) costs about 20% less per vCPU-hour; both images (farcar/envoy and farcar/identity, or your own) must then be multi-arch (docker buildx --platform linux/amd64,linux/arm64). @default X86_64",
      ),
    desiredCount: z
      .number()
      .int()
      .min(2, { message: "desiredCount must be at least 2 so the Farcar survives the loss of one AZ" })
      .max(100)
      .optional()
      .describe("Farcar tasks per inbound service, spread over the availability zones. @default 2"),
    logRetentionDays: z
      .union(literals(LOG_RETENTION_DAYS), {
        message: `logRetentionDays must be a CloudWatch Logs retention value: ${listOr(LOG_RETENTION_DAYS)}`,
      })
      .optional()
      .describe("CloudWatch Logs retention for Farcar and API access logs. @default 30"),
  })
  .describe("Deploy-time knobs for the Farcars; set fleet-wide under `farcar`, override per environment.");

const meshService = z
  .strictObject({
    spiffeId: z
      .string()
      .regex(/^spiffe:\/\/[a-z0-9.-]+(\/[A-Za-z0-9._~!$&'()*+,;=:@-]+)+$/, {
        message: "expected a SPIFFE ID such as spiffe://block.example/payments",
      })
      .describe("SPIFFE ID the Farcar verifies on the service's certificate (URI SAN, exact match)."),
    address: z
      .string()
      .regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, { message: "expected host:port, e.g. payments.mesh.internal:8443" })
      .describe("host:port the Farcar connects to with mTLS; the host is also the TLS SNI."),
  })
  .describe("A parent mesh service acquisitions may call (a target).");

const proxyAccount = z
  .strictObject({
    id: accountId.optional().describe("Adopt an existing proxy account (12 digits, quoted)."),
    email: z
      .email({ message: "expected an email address for the new account's root user" })
      .optional()
      .describe("Create the proxy account in the org stack with this root email."),
    name: z.string().min(1).max(50).optional().describe("Account name for a created account. @default farcar-<acquisition>-<environment>"),
  })
  .describe("The proxy account for this acquisition environment: exactly one of `id` or `email`.");

const transitGatewayId = z.string().regex(/^tgw-[0-9a-f]{8,17}$/, { message: "expected a transit gateway ID such as tgw-0123456789abcdef0" });

/** Private DNS a proxy VPC must resolve names with (Route 53 Resolver rules, private hosted zones). */
const dnsAssociations = (whose: string) =>
  z
    .strictObject({
      resolverRuleIds: z
        .array(z.string().regex(/^rslvr-rr-[0-9a-z]{1,64}$/, { message: "expected a Route 53 Resolver rule ID such as rslvr-rr-0123456789abcdef0" }))
        .min(1)
        .optional()
        .describe(
          `Route 53 Resolver forwarding rules (shared with the proxy account through AWS RAM) that resolve ${whose}; each is associated with the proxy VPC. @default none`,
        ),
      hostedZoneIds: z
        .array(z.string().regex(/^Z[0-9A-Z]{1,31}$/, { message: "expected a Route 53 hosted zone ID such as Z0123456789ABCDEFGHIJ" }))
        .min(1)
        .optional()
        .describe(
          `Private hosted zones holding ${whose}; each is associated with the proxy VPC (a zone of another account needs its owner's authorization first: help/fleet-file.md). @default none`,
        ),
    })
    .describe(`Private DNS for ${whose}: at least one of resolverRuleIds, hostedZoneIds.`);

const network = z
  .strictObject({
    availabilityZones: z
      .array(z.string(), { message: "availabilityZones must be a list of zone names such as [us-east-1a, us-east-1b]" })
      .min(2, { message: "at least two availability zones are needed (Farcars spread over them)" })
      .describe("AZ names in the environment's region (≥ 2). Taken from config, never looked up."),
    proxyVpcCidr: cidr.describe("CIDR of the proxy VPC (NLBs, Farcars, VPC endpoints)."),
    acquisitionVpcCidr: cidr.describe("CIDR of the per-acquisition VPC that hosts the execute-api endpoint."),
    acquisitionCallerCidrs: z
      .array(cidr)
      .min(1)
      .optional()
      .describe(
        "CIDRs of acquisition workloads allowed to reach the execute-api endpoint on 443. Required when the environment has inbound services (the endpoint VPC itself holds no callers).",
      ),
    callerRouting: z
      .strictObject({
        transitGatewayId: transitGatewayId.describe("Transit gateway (shared with the proxy account) that reaches the acquisition's workloads."),
      })
      .optional()
      .describe(
        "Attach the acquisition endpoint VPC to a transit gateway and route acquisitionCallerCidrs through it. @default none: connect the VPC yourself (outputs caller_vpc_id, caller_route_table_ids); synth warns",
      ),
  })
  .describe("Network layout of this environment's proxy account.");

const identity = z
  .strictObject({
    source: z
      .enum(["privateCa", "secretsManager"], { message: 'identity.source must be "privateCa" or "secretsManager"' })
      .optional()
      .describe("Where Farcar certificates come from. @default privateCa"),
    acquisitionCaArn: z
      .string()
      .regex(/^arn:aws(-cn|-us-gov)?:acm-pca:[a-z0-9-]+:\d{12}:certificate-authority\/[0-9a-f-]{36}$/, {
        message: "expected an AWS Private CA ARN such as arn:aws:acm-pca:us-east-1:222222222222:certificate-authority/11111111-2222-3333-4444-555555555555",
      })
      .optional()
      .describe("Adopt an existing CA (same region and partition as the fleet) as the environment's one CA instead of creating one. @default a new subordinate CA in SHORT_LIVED_CERTIFICATE mode"),
    acquisitionCaCertificate: z
      .string()
      .min(1)
      .optional()
      .describe(
        "PEM path (relative to this file): the created acquisition CA's certificate, signed by the parent's root, followed by its chain. Set after the signing ceremony (help/identity.md). @default none: the CA waits for it and no Farcar task runs",
      ),
    svidWriterArn: roleArn
      .optional()
      .describe(
        "secretsManager: the IAM role of the parent's identity system that writes the SVID secrets, typically in another account. Farcar then encrypts them with a customer managed KMS key and lets this role put secret values (it must also allow itself in its own identity policy). @default none: the secrets use aws/secretsmanager and only principals of the proxy account can write them",
      ),
    certificateTtlHours: z
      .number()
      .int()
      .min(1)
      .max(168, { message: "certificateTtlHours must be ≤ 168 (7 days): short-lived CA mode" })
      .optional()
      .describe("Validity of each Farcar certificate; renewed at half life. @default 24"),
  })
  .describe("How Farcars of this environment obtain their X.509-SVIDs.");

const inboundService = z
  .strictObject({
    roleArns: z
      .array(roleArn, { message: "roleArns must be a list of IAM role ARNs" })
      .min(1, { message: "list at least one IAM role ARN that acts as this service" })
      .describe("IAM roles (in the acquisition's accounts) that act as this service."),
    targets: z
      .array(name("a target"), { message: "targets must be a list of mesh service names" })
      .min(1, { message: "list at least one mesh service this service may call" })
      .describe("Mesh services (keys of mesh.services) this service may call."),
    methods,
  })
  .describe("An acquisition service calling into the mesh.");

const sigv4Auth = z.strictObject({
  service: z
    .string()
    .regex(/^[a-z0-9-]+$/, { message: 'expected an AWS signing service name such as "execute-api"' })
    .describe("SigV4 signing name of the acquisition's API, e.g. execute-api."),
  region: z.string().regex(REGION, { message: "expected an AWS region such as ap-southeast-2" }).describe("Region the acquisition's API signs for."),
  roleArn: roleArn.optional().describe("Role in the acquisition's account the Farcar assumes before signing. @default the task role"),
  caBundle: z
    .string()
    .min(1)
    .optional()
    .describe("PEM path (relative to the fleet file) of the CA that signs the upstream's TLS certificate. @default the image's public CA bundle"),
});
const mtlsAuth = z.strictObject({
  caBundle: z.string().min(1).describe("PEM path (relative to the fleet file) of the acquisition CA that signs the upstream."),
  serverSan: z.string().min(1).optional().describe("Expected URI or DNS SAN of the upstream. @default the upstream host"),
});
const headerAuth = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/, { message: "expected an HTTP header name such as x-api-key" })
    .describe("Header that carries the credential; its value is read from the service's Secrets Manager secret."),
  caBundle: z
    .string()
    .min(1)
    .optional()
    .describe("PEM path (relative to the fleet file) of the CA that signs the upstream's TLS certificate. @default the image's public CA bundle"),
});

const upstreamAuth = z
  .strictObject({
    sigv4: sigv4Auth.optional().describe("Re-sign requests with SigV4 (Envoy aws_request_signing)."),
    mtls: mtlsAuth.optional().describe("Present a client certificate from the acquisition's own PKI."),
    header: headerAuth.optional().describe("Inject a static credential header read from Secrets Manager."),
  })
  .describe("The acquisition's native identity: exactly one of sigv4, mtls, header.");

const outboundService = z
  .strictObject({
    callerRoleArns: z
      .array(roleArn)
      .min(1, { message: "list at least one parent IAM role ARN that may call this service" })
      .describe("Parent-company IAM roles that may call this acquisition service."),
    methods,
    upstream: z
      .strictObject({
        url: z
          .url({ protocol: /^https?$/, message: "expected an http(s) URL such as https://risk.afterpay.internal" })
          .describe(
            "Base URL of the acquisition service; request paths are appended. Must be https:// (every auth kind sends a credential: a SigV4 signature, a header or a client certificate).",
          ),
        auth: upstreamAuth,
      })
      .describe("The acquisition service the Farcar forwards to."),
  })
  .describe("A parent service calling into the acquisition (egress).");

const environment = z
  .strictObject({
    region: z
      .string()
      .regex(REGION, { message: "expected an AWS region such as ap-southeast-2" })
      .optional()
      .describe(
        "AWS region of this environment's proxy accounts (ingress and egress): where the acquisition lives. The guardrail SCP allows every region the fleet uses. @default the fleet's region",
      ),
    proxyAccount,
    network,
    identity: identity.optional(),
    farcar: farcarSettings.optional(),
    egressProxyAccount: z
      .strictObject({
        id: accountId.describe("Account ID (12 digits, quoted)."),
        accessRoleName: z
          .string()
          .regex(/^[\w+=,.@-]{1,64}$/)
          .optional()
          .describe("Role the egress stack assumes in this account (it lives in the acquisition's organization). @default OrganizationAccountAccessRole"),
      })
      .optional()
      .describe("Proxy account in the acquisition's organization for egress. Required when `outbound` is set."),
    egressNetwork: z
      .strictObject({
        proxyVpcCidr: cidr.optional().describe("CIDR of the egress proxy VPC (NLBs, Farcars, endpoints). @default network.proxyVpcCidr (another account)"),
        callerVpcCidr: cidr
          .optional()
          .describe("CIDR of the VPC hosting the execute-api endpoint parent callers use. @default network.acquisitionVpcCidr (another account)"),
        callerCidrs: z
          .array(cidr)
          .min(1)
          .optional()
          .describe("CIDRs of parent workloads allowed to reach that endpoint on 443. Required when the environment has outbound services."),
        callerRouting: z
          .strictObject({
            transitGatewayId: transitGatewayId.describe("Transit gateway (shared with the egress proxy account) that reaches the parent's callers."),
          })
          .optional()
          .describe(
            "Attach the egress caller VPC to a transit gateway and route callerCidrs through it. @default none: connect the VPC yourself (outputs caller_vpc_id, caller_route_table_ids); synth warns",
          ),
        upstreamRouting: z
          .strictObject({
            transitGatewayId: transitGatewayId
              .optional()
              .describe("Transit gateway that reaches the acquisition's services. @default none: route cidrs yourself (outputs proxy_vpc_id, proxy_route_table_ids)"),
            cidrs: z.array(cidr).min(1).describe("Acquisition CIDRs of the upstreams; egress Farcars may connect only there."),
          })
          .optional()
          .describe("Where the acquisition's services are, and the route to them. Required when the environment has outbound services."),
        upstreamDns: dnsAssociations("the acquisition's upstream names (outbound upstream.url hosts)")
          .optional()
          .describe(
            "Route 53 Resolver rules and/or private hosted zones associated with the egress proxy VPC, so upstream names resolve. @default none (synth warns when upstream hosts are names)",
          ),
      })
      .optional()
      .describe("Network of the egress proxy account; same availability zones as `network`. @default the layout of `network`"),
    inbound: z.record(name("an inbound service name"), inboundService).optional().describe("@default {}"),
    outbound: z.record(name("an outbound service name"), outboundService).optional().describe("@default {}"),
  })
  .describe("One environment of an acquisition: one proxy account, one private API.");

export const fleetSchema = z
  .strictObject({
    version: z.literal(1, { message: "version must be 1 (the only fleet-file version)" }).describe("Fleet-file format version: 1."),
    region: z
      .string()
      .regex(REGION, { message: "expected an AWS region such as us-east-1" })
      .describe(
        "AWS region of the org stack, and of every environment that names no region of its own (the guardrail SCP allows exactly the regions the fleet uses).",
      ),
    tags: tags.optional().describe("Tags merged onto every resource. @default {}"),
    organization: z
      .strictObject({
      managementAccountId: accountId.describe("The organization's management account, where the org stack runs."),
      proxyOrganizationalUnitId: z
        .string()
        .regex(/^ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}$/, { message: "expected an organizational unit ID such as ou-ab12-proxies01" })
        .describe("OU that holds the proxy accounts; the guardrail SCP is attached here."),
      accountAccessRoleName: z
        .string()
        .regex(/^[\w+=,.@-]{1,64}$/)
        .optional()
        .describe("Role the stacks assume in each proxy account. @default OrganizationAccountAccessRole"),
      guardrails: z
        .strictObject({
          breakGlassRoleName: z
            .string()
            .regex(ROLE_NAME, { message: "expected an IAM role name (no path), e.g. FarcarBreakGlass" })
            .optional()
            .describe(
              "Role in each proxy account that, like the access role, may change what carries an identity (the API, its integrations, CAs, Farcar tasks, roles, secrets and security groups). @default none: only the access role",
            ),
          exemptRoleNames: z
            .array(
              z.string().regex(ROLE_NAME_PATTERN, {
                message: "expected an IAM role name, optionally ending in * (e.g. AWSControlTowerExecution, stacksets-exec-*)",
              }),
            )
            .max(8, { message: "at most 8 exempt role names: each one is repeated in every guardrail statement (SCPs are limited to 5120 characters)" })
            .optional()
            .describe(
              "Platform roles exempt from every guardrail (Control Tower, StackSets execution roles). Non-exempt principals may not create or change roles with these names. @default [AWSControlTowerExecution, stacksets-exec-*, AWSCloudFormationStackSetExecutionRole]",
            ),
        })
        .optional()
        .describe("Guardrail SCPs on the proxy OU and on every adopted proxy account (help/security.md). @default the access role and the default exempt roles only"),
      })
      .describe("The parent's AWS Organization, which owns the ingress proxy accounts."),
    mesh: z
      .strictObject({
      trustDomain: z
        .string()
        .regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/, { message: "expected a SPIFFE trust domain such as block.example" })
        .describe("SPIFFE trust domain of the parent mesh; Farcar identities are minted in it."),
      trustBundle: z.string().min(1).describe("PEM CA bundle of the parent mesh, relative to the fleet file."),
      spiffeIdTemplate: z
        .string()
        .optional()
        .describe(
          "SPIFFE ID of each Farcar; placeholders {trustDomain} {acquisition} {environment} {service}. @default spiffe://{trustDomain}/acquisition/{acquisition}/{environment}/{service}",
        ),
      routing: z
        .strictObject({
          transitGatewayId: transitGatewayId
            .optional()
            .describe("Transit gateway (shared with the proxy accounts) that reaches the mesh. @default none: route cidrs yourself (outputs proxy_vpc_id, proxy_route_table_ids)"),
          cidrs: z.array(cidr).min(1).describe("Mesh CIDRs: Farcars may connect only there (and they are routed through the transit gateway)."),
        })
        .optional()
        .describe("Where the mesh is, and the route to it from every ingress proxy VPC. Required when any environment has inbound services."),
      dns: dnsAssociations("the mesh service names (mesh.services.*.address hosts)")
        .optional()
        .describe(
          "Route 53 Resolver rules and/or private hosted zones associated with every ingress proxy VPC, so mesh names resolve (Envoy resolves them with the VPC's DNS). @default none (synth warns when mesh addresses are names)",
        ),
      services: z
        .record(name("a mesh service name"), meshService)
        .describe("Parent mesh services acquisitions may call, by name (the names used in `targets`)."),
    })
    .describe("The parent company's Envoy mTLS mesh."),
    farcar: farcarSettings.optional(),
    terraformCloud: z
      .strictObject({
        organization: z.string().min(1).describe("HCP Terraform organization."),
        project: z.string().min(1).optional().describe("HCP Terraform project of the workspaces. @default the organization's default project"),
        workspacePrefix: z.string().regex(/^[A-Za-z0-9_-]*$/).optional().describe("@default farcar-"),
        hostname: z.string().optional().describe("@default app.terraform.io"),
      })
      .optional()
      .describe("Run every stack in an HCP Terraform workspace named <workspacePrefix><stack>."),
    s3Backend: z
      .strictObject({
        bucket: z.string().min(3).describe("S3 bucket holding the state of every stack."),
        region: z.string().regex(REGION).optional().describe("@default the fleet region"),
        keyPrefix: z.string().optional().describe("@default farcar/"),
        dynamodbTable: z.string().optional().describe("DynamoDB table for state locking. @default no lock table"),
      })
      .optional()
      .describe("S3 state backend when no terraformCloud block is given. @default local state"),
    acquisitions: z
      .record(
        name("an acquisition name"),
        z
          .strictObject({
            environments: z
              .record(name("an environment name"), environment)
              .describe("Environments of this acquisition; each has its own proxy account and API."),
          })
          .describe("An acquired company."),
      )
      .describe("Acquired companies, by name."),
  })
  .describe("Farcar fleet file");

export type FleetInput = z.infer<typeof fleetSchema>;
export type MeshService = z.infer<typeof meshService>;
export type InboundServiceInput = z.infer<typeof inboundService>;
export type OutboundServiceInput = z.infer<typeof outboundService>;
export type EnvironmentInput = z.infer<typeof environment>;
export type FarcarSettingsInput = z.infer<typeof farcarSettings>;
