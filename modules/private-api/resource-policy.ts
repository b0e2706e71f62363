/**
 * The access rules of a private REST API, as data (one source of truth for the resource policy,
 * the caller-side identity policies, and the isolation proof in `npm run verify`).
 *
 * Why the HTTP method is spelled out instead of `/{stage}/* /X/*`: IAM wildcards match across
 * `/`, so in `.../{stage}/* /X/*` the first `*` can swallow `GET/Y/ledger` and the pattern then
 * matches `.../{stage}/GET/Y/ledger/X/anything` — a request routed to service Y's Farcar. With
 * the method as a literal segment, the service must be the first path segment.
 */
import { HTTP_METHODS } from "../../config/schema";
import { policyDocument, type PolicyDocument, type PolicyStatement } from "../iam/policy-document";

/** Methods an `ANY` method answers; API Gateway puts the request's own method in the ARN. */
export { HTTP_METHODS };

/** API Gateway quota on a resource policy. */
export const RESOURCE_POLICY_MAX_CHARS = 8192;

export interface ApiService {
  /** Service name: the first path segment of its routes. */
  readonly name: string;
  /** Roles that act as this service. */
  readonly roleArns: readonly string[];
  /**
   * Methods the roles may use.
   * @default - all of HTTP_METHODS
   */
  readonly methods?: readonly string[];
}

export interface ApiPolicyInput {
  /** `execution_arn` of the REST API (`arn:aws:execute-api:{region}:{account}:{api-id}`), or a token for it. */
  readonly executionArn: string;
  readonly stage: string;
  /** The proxy account: its own principals are denied outright. */
  readonly proxyAccountId: string;
  /** The only VPC endpoint requests may come through. */
  readonly vpcEndpointId: string;
  readonly services: readonly ApiService[];
}

/** The execute-api resources service `name` may invoke: each allowed method under `/{stage}/{method}/{name}/`. */
export function serviceInvokeResources(executionArn: string, stage: string, name: string, methods: readonly string[] = HTTP_METHODS): string[] {
  return methods.map((method) => `${executionArn}/${stage}/${method}/${name}/*`);
}

/** `checkout-v2` → `CheckoutV2` (Sids are alphanumeric). */
export function sidName(name: string): string {
  return name
    .split("-")
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join("");
}

/**
 * The API's resource policy:
 * - Allow each service's roles to invoke only that service's paths (one statement per service);
 * - Deny any request that does not come through this environment's VPC endpoint;
 * - Deny every principal of the proxy account (within one account, an identity policy alone
 *   could otherwise grant invoke).
 */
export function privateApiResourcePolicy(input: ApiPolicyInput): PolicyDocument {
  const everything = `${input.executionArn}/*`;
  const allows: PolicyStatement[] = input.services.map((svc) => ({
    Sid: `Invoke${sidName(svc.name)}`,
    Effect: "Allow",
    Principal: { AWS: [...svc.roleArns] },
    Action: "execute-api:Invoke",
    Resource: serviceInvokeResources(input.executionArn, input.stage, svc.name, svc.methods),
  }));
  return policyDocument(
    ...allows,
    {
      Sid: "DenyOutsideEnvironmentEndpoint",
      Effect: "Deny",
      Principal: "*",
      Action: "execute-api:Invoke",
      Resource: everything,
      Condition: { StringNotEquals: { "aws:SourceVpce": input.vpcEndpointId } },
    },
    {
      Sid: "DenyProxyAccountPrincipals",
      Effect: "Deny",
      Principal: "*",
      Action: "execute-api:Invoke",
      Resource: everything,
      Condition: { StringEquals: { "aws:PrincipalAccount": input.proxyAccountId } },
    },
  );
}

/**
 * The identity policy a caller role needs on its own side (cross-account IAM auth needs an Allow
 * on both sides): invoke exactly its service's paths of this API.
 */
export function callerIdentityPolicy(executionArn: string, stage: string, service: string, methods?: readonly string[]): PolicyDocument {
  return policyDocument({
    Sid: `InvokeFarcar${sidName(service)}`,
    Effect: "Allow",
    Action: "execute-api:Invoke",
    Resource: serviceInvokeResources(executionArn, stage, service, methods),
  });
}

/** A concrete execution ARN of maximal length, to measure a policy as AWS will store it. */
export function worstCaseExecutionArn(partition: string, region: string): string {
  return `arn:${partition}:execute-api:${region}:123456789012:abcdefghij`;
}

export interface PolicySize {
  readonly chars: number;
  readonly limit: number;
  readonly fits: boolean;
}

/** Rendered size of the resource policy with concrete (worst-case length) ARNs and IDs. */
export function measureResourcePolicy(input: Omit<ApiPolicyInput, "executionArn" | "proxyAccountId" | "vpcEndpointId"> & {
  readonly partition: string;
  readonly region: string;
}): PolicySize {
  const doc = privateApiResourcePolicy({
    ...input,
    executionArn: worstCaseExecutionArn(input.partition, input.region),
    proxyAccountId: "123456789012",
    vpcEndpointId: "vpce-0123456789abcdef0",
  });
  const chars = JSON.stringify(doc).length;
  return { chars, limit: RESOURCE_POLICY_MAX_CHARS, fits: chars <= RESOURCE_POLICY_MAX_CHARS };
}
