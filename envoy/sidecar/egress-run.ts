/**
 * egress mode's main loop and health check. Each enabled item (egress-items.ts, assume-role.ts) is
 * synced on its own schedule with its own backoff; the sidecar is `ready` once every enabled item
 * is in place, and stays so while they are valid.
 *
 * Exit codes as in run.ts: 0 after SIGTERM/abort; 1 when an installed item expired without being
 * renewed (client certificate past notAfter, assumed-role session past Expiration) or when not every
 * item could be installed before the startup deadline.
 */
import { promises as nodeFs } from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { EGRESS_IDENTITY_FILES } from "../egress";
import { IDENTITY_FILES } from "../identity-files";
import { AssumedRoleItem, type ContainerCredentialsDocument, type StsClientLike } from "./assume-role";
import { ClientCertificateItem, EgressItem, EgressItemName, HeaderCredentialItem, TrustBundleItem } from "./egress-items";
import { EgressConfig, pemCertificates } from "./env";
import { atomicWriteFile, FsOps, nodeFsOps, PUBLIC_FILE_MODE, STATUS_FILE } from "./files";
import { backoffDelay, errorText, startLoop, type LoopRuntime } from "./run";
import type { SecretsClientLike } from "./secrets-manager";
import type { HealthResult, SidecarState } from "./status";
import { parseLeaf } from "./svid";

export interface EgressItemStatus {
  installed: boolean;
  /** When the item is synced next (absent: never again, e.g. the static trust bundle). */
  nextSync?: string;
  /** Last failed attempt of this item (never contains a secret value), cleared on success. */
  lastError?: string;
  /** The item's own metadata (EgressItem.describe()): secret ids, versions, validity, expiry. */
  [detail: string]: string | boolean | undefined;
}

/** status.json in egress mode. */
export interface EgressStatus {
  state: SidecarState;
  source: "egress";
  items: Partial<Record<EgressItemName, EgressItemStatus>>;
  updatedAt: string;
}

/** The items `config` enables, in install order; `credentials` is the assumed-role item, if any. */
export function egressItems(
  config: EgressConfig,
  deps: { secrets?: SecretsClientLike; sts?: StsClientLike; clock: () => Date; fs?: FsOps; signal?: AbortSignal },
): { items: EgressItem[]; credentials?: AssumedRoleItem } {
  const context = { dir: config.identityDir, clock: deps.clock, fs: deps.fs, signal: deps.signal };
  const items: EgressItem[] = [];
  const need = <T>(client: T | undefined, what: string): T => {
    if (client === undefined) throw new Error(`egress item ${what} needs a client`);
    return client;
  };
  if (config.trustBundlePem) items.push(new TrustBundleItem({ ...context, trustBundlePem: config.trustBundlePem }));
  if (config.clientCertificateSecretId) {
    items.push(new ClientCertificateItem({ ...context, secretId: config.clientCertificateSecretId, pollSeconds: config.secretPollSeconds, client: need(deps.secrets, "clientCertificate") }));
  }
  if (config.headerSecretId) {
    items.push(new HeaderCredentialItem({ ...context, secretId: config.headerSecretId, pollSeconds: config.secretPollSeconds, client: need(deps.secrets, "headerCredential") }));
  }
  let credentials: AssumedRoleItem | undefined;
  if (config.assumeRole) {
    credentials = new AssumedRoleItem({ roleArn: config.assumeRole.roleArn, sessionName: config.assumeRole.sessionName, client: need(deps.sts, "awsCredentials"), clock: deps.clock, signal: deps.signal });
    items.push(credentials);
  }
  return { items, credentials };
}

export interface EgressRuntime extends LoopRuntime {
  config: EgressConfig;
  items: EgressItem[];
}

interface Slot {
  item: EgressItem;
  /** Epoch ms of the next sync; undefined: never again. */
  dueAt: number | undefined;
  failures: number;
  lastError?: string;
}

/** The sleep limit when nothing is scheduled (a trust bundle alone): wake up daily, to no effect. */
const IDLE_MS = 86_400_000;

export async function runEgressSidecar(rt: EgressRuntime): Promise<number> {
  const { clock, sleep, signal } = rt;
  const { random, fs, log, backoff, dir, startupDeadline, stopped } = await startLoop(rt);
  const slots: Slot[] = rt.items.map((item) => ({ item, dueAt: clock().getTime(), failures: 0 }));
  const allInstalled = (): boolean => slots.every((s) => s.item.installed());

  const status = (state: SidecarState): EgressStatus => ({
    state,
    source: "egress",
    items: Object.fromEntries(
      slots.map((s) => [
        s.item.name,
        {
          installed: s.item.installed(),
          ...s.item.describe(),
          ...(s.dueAt !== undefined && { nextSync: new Date(s.dueAt).toISOString() }),
          ...(s.lastError !== undefined && { lastError: s.lastError }),
        },
      ]),
    ),
    updatedAt: clock().toISOString(),
  });
  const write = (state: SidecarState): Promise<void> => writeEgressStatus(dir, status(state), fs);

  log("info", "identity sidecar starting", { source: "egress", items: slots.map((s) => s.item.name), dir });
  await write("starting");
  let state: SidecarState = "starting";

  for (;;) {
    if (signal?.aborted) return stopped();
    const now = clock().getTime();
    const expired = slots.find((s) => s.item.installed() && (s.item.expiresAt()?.getTime() ?? Infinity) <= now);
    if (expired) {
      await write("expired");
      log("error", `${expired.item.name} expired without renewal; exiting so the task is replaced`, {
        item: expired.item.name,
        expiredAt: expired.item.expiresAt()!.toISOString(),
        lastError: expired.lastError,
      });
      return 1;
    }
    if (!allInstalled() && now >= startupDeadline) {
      await write("failed");
      log("error", "not every egress identity item could be installed before the startup deadline; exiting", {
        missing: slots.filter((s) => !s.item.installed()).map((s) => s.item.name),
        errors: Object.fromEntries(slots.filter((s) => s.lastError).map((s) => [s.item.name, s.lastError])),
      });
      return 1;
    }

    let changed = false;
    for (const slot of slots) {
      if (slot.dueAt === undefined || slot.dueAt > clock().getTime()) continue;
      try {
        const installed = await slot.item.sync();
        if (signal?.aborted) return stopped();
        if (installed) log("info", `installed ${slot.item.name}`, { item: slot.item.name, ...slot.item.describe() });
        changed ||= installed || slot.lastError !== undefined;
        slot.lastError = undefined;
        slot.failures = 0;
        slot.dueAt = slot.item.nextSync(clock())?.getTime();
      } catch (err) {
        if (signal?.aborted) return stopped();
        slot.failures += 1;
        slot.lastError = errorText(err);
        const delay = backoffDelay(slot.failures, random, backoff);
        log(slot.item.installed() ? "warn" : "error", `${slot.item.name} refresh failed; retrying`, {
          item: slot.item.name,
          failures: slot.failures,
          retryInMs: delay,
          error: slot.lastError,
        });
        slot.dueAt = clock().getTime() + delay;
        changed = true;
      }
    }
    const next: SidecarState = allInstalled() ? "ready" : "starting";
    if (changed || next !== state) {
      if (next === "ready" && state !== "ready") log("info", "egress identity ready", { items: slots.map((s) => s.item.name) });
      state = next;
      await write(state).catch((err: unknown) => log("warn", "could not write status.json", { error: String(err) }));
    }

    // Sleep until the next sync, but never past an installed item's expiry or, while something
    // is missing, the startup deadline.
    const limits = slots.flatMap((s) => [s.dueAt, s.item.installed() ? s.item.expiresAt()?.getTime() : undefined]).filter((t): t is number => t !== undefined);
    if (!allInstalled()) limits.push(startupDeadline);
    const wakeAt = limits.length > 0 ? Math.min(...limits) : clock().getTime() + IDLE_MS;
    await sleep(Math.max(0, wakeAt - clock().getTime()), signal);
  }
}

export async function writeEgressStatus(dir: string, status: EgressStatus, fs: FsOps = nodeFsOps): Promise<void> {
  await atomicWriteFile(dir, STATUS_FILE, JSON.stringify(status, null, 2) + "\n", PUBLIC_FILE_MODE, fs);
}

/** Fetches the credentials endpoint (injectable for tests). */
export type CredentialsProbe = (url: string, timeoutMs: number) => Promise<{ status: number; body: string }>;

export const httpProbe: CredentialsProbe = (url, timeoutMs) =>
  new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
  });

/**
 * Healthy only when status.json says `ready` (every item installed) AND, for each item `config`
 * enables, what Envoy reads is in place and fresh at `now`:
 *  - trustBundle: bundle.pem holds a certificate, bundle-sds.yaml exists;
 *  - clientCertificate: a non-empty key, the chain's leaf valid now, svid-sds.yaml exists;
 *  - headerCredential: a non-empty credential file (not read) and its SDS document;
 *  - awsCredentials: the loopback endpoint answers 200 with a complete document whose Expiration is
 *    in the future — i.e. exactly what Envoy would get.
 * Never prints a credential.
 */
export async function checkEgressHealth(opts: { config: EgressConfig; now: Date; probe?: CredentialsProbe }): Promise<HealthResult> {
  const { config, now } = opts;
  const dir = config.identityDir;
  let status: EgressStatus;
  try {
    status = JSON.parse(await nodeFs.readFile(path.join(dir, STATUS_FILE), "utf8")) as EgressStatus;
  } catch (err) {
    return { healthy: false, reason: `no readable ${STATUS_FILE}: ${(err as Error).message}` };
  }
  if (status.source !== "egress") return { healthy: false, reason: `${STATUS_FILE} was written by the ${String(status.source)} source, not egress` };
  if (status.state !== "ready") {
    const errors = Object.entries(status.items ?? {})
      .filter(([, s]) => s?.lastError)
      .map(([name, s]) => `${name}: ${s!.lastError}`);
    return { healthy: false, reason: `sidecar state is ${status.state}${errors.length ? ` (${errors.join("; ")})` : ""}` };
  }
  const file = (name: string): string => path.join(dir, name);
  const nonEmpty = async (name: string): Promise<void> => {
    const stat = await nodeFs.stat(file(name));
    if (stat.size === 0) throw new Error(`${name} is empty`);
  };
  const served: string[] = [];
  try {
    if (config.trustBundlePem) {
      if (pemCertificates(await nodeFs.readFile(file(IDENTITY_FILES.trustBundle), "utf8")).length === 0) throw new Error(`${IDENTITY_FILES.trustBundle} holds no certificate`);
      await nonEmpty(IDENTITY_FILES.trustBundleSds);
      served.push("trust bundle");
    }
    if (config.clientCertificateSecretId) {
      await nonEmpty(IDENTITY_FILES.privateKey);
      const leaf = parseLeaf(await nodeFs.readFile(file(IDENTITY_FILES.certificateChain), "utf8"));
      if (now.getTime() < leaf.notBefore.getTime()) throw new Error(`client certificate not valid before ${leaf.notBefore.toISOString()}`);
      if (now.getTime() >= leaf.notAfter.getTime()) throw new Error(`client certificate expired at ${leaf.notAfter.toISOString()}`);
      await nonEmpty(IDENTITY_FILES.certificateSds);
      served.push(`client certificate until ${leaf.notAfter.toISOString()}`);
    }
    if (config.headerSecretId) {
      await nonEmpty(EGRESS_IDENTITY_FILES.headerCredential);
      await nonEmpty(EGRESS_IDENTITY_FILES.headerCredentialSds);
      served.push("header credential");
    }
    if (config.assumeRole) {
      const { host, port, path: urlPath } = config.assumeRole.endpoint;
      const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}${urlPath}`;
      const answer = await (opts.probe ?? httpProbe)(url, 2_000).catch((err: Error) => {
        throw new Error(`credentials endpoint ${url} unreachable: ${err.message}`);
      });
      if (answer.status !== 200) throw new Error(`credentials endpoint ${url} answered ${answer.status}`);
      let doc: Partial<ContainerCredentialsDocument>;
      try {
        doc = JSON.parse(answer.body) as Partial<ContainerCredentialsDocument>;
      } catch {
        throw new Error(`credentials endpoint ${url} answered something that is not JSON`);
      }
      if (!doc.AccessKeyId || !doc.SecretAccessKey || !doc.Token || !doc.Expiration) throw new Error(`credentials endpoint ${url} served an incomplete document`);
      const expiration = Date.parse(doc.Expiration);
      if (Number.isNaN(expiration) || expiration <= now.getTime()) throw new Error(`served credentials expired at ${doc.Expiration}`);
      served.push(`${config.assumeRole.roleArn} credentials until ${doc.Expiration}`);
    }
  } catch (err) {
    return { healthy: false, reason: (err as Error).message };
  }
  return { healthy: true, reason: `serving ${served.join(", ")}` };
}
