/**
 * egress mode, sigv4 with roleArn: the sidecar assumes the acquisition's role with the TASK ROLE's
 * own credentials and serves the session's keys to Envoy on a loopback endpoint, in the ECS
 * container-credentials format. Why Envoy does not assume the role itself: envoy/egress.ts
 * ("sigv4 with roleArn — DECISION").
 *
 *   Envoy (AWS_CONTAINER_CREDENTIALS_FULL_URI = egressAwsCredentialsUri())
 *     GET http://127.0.0.1:9911/farcar/v1/aws-credentials
 *     ◄── {"AccessKeyId","SecretAccessKey","Token","Expiration":"2030-01-01T01:00:00Z"}
 *
 * Envoy's container provider re-fetches shortly before `Expiration`. The sidecar assumes the role
 * again at half of each session's lifetime (30 min into a 1 h session), so a fresh session is
 * always waiting long before Envoy asks; the previous one stays valid until its own expiry.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { AssumeRoleCommand } from "@aws-sdk/client-sts";
import type { CredentialsEndpoint } from "./env";
import type { EgressItem, EgressItemDescription } from "./egress-items";

/** The slice of STSClient the sidecar uses (an STSClient satisfies it). */
export interface StsClientLike {
  send(command: AssumeRoleCommand, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

/**
 * Requested session length. Assuming a role with a role's (the task role's) credentials is role
 * chaining, which AWS caps at one hour whatever the role's MaxSessionDuration.
 */
export const ASSUME_ROLE_DURATION_SECONDS = 3600;

export interface RoleCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

/** The ECS container-credentials document (what the ECS agent serves on AWS_CONTAINER_CREDENTIALS_RELATIVE_URI). */
export interface ContainerCredentialsDocument {
  AccessKeyId: string;
  SecretAccessKey: string;
  Token: string;
  Expiration: string;
}

/**
 * `Expiration` as ECS writes it: ISO-8601 UTC with whole seconds (`2030-01-01T01:00:00Z`). Envoy
 * parses it with the absl format `%E4Y-%m-%dT%H:%M:%S%z`, which has no fractional seconds: with
 * `.000Z` the parse fails, Envoy ignores the expiry and would keep the keys for its 1 h cache
 * interval. Rounded DOWN, so the advertised expiry is never later than the real one.
 */
export function formatExpiration(expiration: Date): string {
  return new Date(Math.floor(expiration.getTime() / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function containerCredentialsDocument(c: RoleCredentials): ContainerCredentialsDocument {
  return { AccessKeyId: c.accessKeyId, SecretAccessKey: c.secretAccessKey, Token: c.sessionToken, Expiration: formatExpiration(c.expiration) };
}

/** The session of `roleArn`, assumed with the task role's credentials and refreshed at half-life. */
export class AssumedRoleItem implements EgressItem {
  readonly name = "awsCredentials" as const;
  private current: (RoleCredentials & { obtainedAt: Date }) | undefined;

  constructor(
    private readonly opts: { roleArn: string; sessionName: string; client: StsClientLike; clock: () => Date; signal?: AbortSignal },
  ) {}

  installed(): boolean {
    return this.current !== undefined;
  }

  async sync(): Promise<boolean> {
    const { roleArn, sessionName, client, clock, signal } = this.opts;
    const out = (await client.send(
      new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName, DurationSeconds: ASSUME_ROLE_DURATION_SECONDS }),
      { abortSignal: signal },
    )) as { Credentials?: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string; Expiration?: Date | string } };
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || c.Expiration === undefined) {
      throw new Error(`AssumeRole ${roleArn} returned incomplete credentials`);
    }
    const expiration = new Date(c.Expiration);
    const now = clock();
    if (Number.isNaN(expiration.getTime()) || expiration.getTime() <= now.getTime()) {
      throw new Error(`AssumeRole ${roleArn} returned credentials that are already expired (${String(c.Expiration)})`);
    }
    this.current = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration, obtainedAt: now };
    return true;
  }

  /** Half-way through the current session: well before Envoy's own refresh near `Expiration`. */
  nextSync(): Date | undefined {
    const c = this.current;
    if (!c) return undefined;
    const start = c.obtainedAt.getTime();
    return new Date(start + Math.floor((c.expiration.getTime() - start) / 2));
  }

  expiresAt(): Date | undefined {
    return this.current?.expiration;
  }

  /** What the endpoint serves at `now`: the current session while it is valid, else nothing. */
  credentials(now: Date): RoleCredentials | undefined {
    const c = this.current;
    return c && now.getTime() < c.expiration.getTime() ? c : undefined;
  }

  describe(): EgressItemDescription {
    const c = this.current;
    return {
      roleArn: this.opts.roleArn,
      sessionName: this.opts.sessionName,
      ...(c && { expiration: c.expiration.toISOString(), refreshAt: this.nextSync()!.toISOString() }),
    };
  }
}

export interface CredentialsServer {
  /** The bound address (port 0 in tests picks a free port). */
  readonly address: AddressInfo;
  close(): Promise<void>;
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "::1"]);
const LOOPBACK_PEERS = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1"]);

/**
 * Serves `credentials()` on `endpoint` (EGRESS_AWS_CREDENTIALS_ENDPOINT): bound to loopback only,
 * so only containers of this task (one network namespace with awsvpc) can reach it. GET/HEAD on the
 * exact path → 200 with the container-credentials document, or 503 while no valid session is held;
 * any other path → 404; other methods → 405. Nothing about the request or the keys is logged.
 */
export async function startCredentialsServer(opts: {
  endpoint: CredentialsEndpoint;
  credentials: () => RoleCredentials | undefined;
}): Promise<CredentialsServer> {
  const { endpoint } = opts;
  if (!LOOPBACK_HOSTS.has(endpoint.host)) {
    throw new Error(`the credentials endpoint must listen on loopback only, not on ${endpoint.host}`);
  }
  const server = http.createServer((req, res) => {
    const reply = (status: number, body: object, headers: Record<string, string> = {}): void => {
      const text = JSON.stringify(body);
      res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", "content-length": Buffer.byteLength(text), ...headers });
      res.end(req.method === "HEAD" ? undefined : text);
    };
    if (!LOOPBACK_PEERS.has(req.socket.remoteAddress ?? "")) return reply(403, { code: "Forbidden", message: "loopback clients only" });
    const path = (req.url ?? "").split("?")[0];
    if (path !== endpoint.path) return reply(404, { code: "NotFound", message: `no such resource; credentials are served on ${endpoint.path}` });
    if (req.method !== "GET" && req.method !== "HEAD") return reply(405, { code: "MethodNotAllowed", message: "use GET" }, { allow: "GET, HEAD" });
    const c = opts.credentials();
    if (!c) return reply(503, { code: "CredentialsUnavailable", message: "no valid session of the assumed role yet (or it expired); retry" });
    return reply(200, containerCredentialsDocument(c));
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: endpoint.host, port: endpoint.port, exclusive: true }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    address: server.address() as AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
