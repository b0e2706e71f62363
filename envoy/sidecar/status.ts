/**
 * The sidecar's status file (IDENTITY_DIR/status.json) and the `health` subcommand's check.
 *
 * The running sidecar writes the status atomically whenever its state changes; `health` (run by
 * ECS inside the sidecar container) reads it together with the installed certificate, so health
 * never depends on the long-running process answering a request.
 */
import { promises as nodeFs } from "node:fs";
import * as path from "node:path";
import { IDENTITY_FILES } from "../identity-files";
import { atomicWriteFile, FsOps, nodeFsOps, PUBLIC_FILE_MODE, STATUS_FILE } from "./files";
import { parseLeaf, uriSans } from "./svid";

export type SidecarState =
  /** No certificate installed yet. */
  | "starting"
  /** A verified, unexpired certificate is installed. */
  | "ready"
  /** The installed certificate expired before it could be renewed; the process exits non-zero. */
  | "expired"
  /** No certificate could be obtained before the startup deadline; the process exits non-zero. */
  | "failed";

export interface SidecarStatus {
  state: SidecarState;
  source: "privateCa" | "secretsManager";
  spiffeId: string;
  serialNumber?: string;
  notBefore?: string;
  notAfter?: string;
  /** When the next renewal (privateCa) is due. */
  renewAt?: string;
  /** PCA certificate ARN or secret version id of the installed SVID. */
  origin?: string;
  /** Last failed attempt, cleared on success. */
  lastError?: string;
  updatedAt: string;
}

export async function writeStatus(dir: string, status: SidecarStatus, fs: FsOps = nodeFsOps): Promise<void> {
  await atomicWriteFile(dir, STATUS_FILE, JSON.stringify(status, null, 2) + "\n", PUBLIC_FILE_MODE, fs);
}

export async function readStatus(dir: string): Promise<SidecarStatus> {
  return JSON.parse(await nodeFs.readFile(path.join(dir, STATUS_FILE), "utf8")) as SidecarStatus;
}

export interface HealthResult {
  healthy: boolean;
  reason: string;
}

/**
 * Healthy only when the sidecar reports `ready` AND the installed chain's leaf is valid at `now`
 * (and carries `spiffeId`, when given) AND a private key is in place. The key/chain pairing itself
 * is verified before anything is installed; it is not re-checked here, so that a health probe racing
 * a rotation (new key, old chain for an instant) does not flap.
 */
export async function checkHealth(opts: { dir: string; now: Date; spiffeId?: string }): Promise<HealthResult> {
  let status: SidecarStatus;
  try {
    status = await readStatus(opts.dir);
  } catch (err) {
    return { healthy: false, reason: `no readable ${STATUS_FILE}: ${(err as Error).message}` };
  }
  if (status.state !== "ready") {
    return { healthy: false, reason: `sidecar state is ${status.state}${status.lastError ? `: ${status.lastError}` : ""}` };
  }
  try {
    const key = await nodeFs.stat(path.join(opts.dir, IDENTITY_FILES.privateKey));
    if (key.size === 0) return { healthy: false, reason: "private key file is empty" };
    const leaf = parseLeaf(await nodeFs.readFile(path.join(opts.dir, IDENTITY_FILES.certificateChain), "utf8"));
    const now = opts.now.getTime();
    if (now < leaf.notBefore.getTime()) return { healthy: false, reason: `certificate not valid before ${leaf.notBefore.toISOString()}` };
    if (now >= leaf.notAfter.getTime()) return { healthy: false, reason: `certificate expired at ${leaf.notAfter.toISOString()}` };
    if (opts.spiffeId !== undefined) {
      const uris = uriSans(leaf);
      if (uris.length !== 1 || uris[0] !== opts.spiffeId) {
        return { healthy: false, reason: `certificate URI SANs ${JSON.stringify(uris)} are not [${opts.spiffeId}]` };
      }
    }
    return { healthy: true, reason: `serving ${status.spiffeId} until ${leaf.notAfter.toISOString()}` };
  } catch (err) {
    return { healthy: false, reason: `installed identity unreadable: ${(err as Error).message}` };
  }
}
