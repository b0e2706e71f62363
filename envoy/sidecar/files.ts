/**
 * Atomic file installation into the directory Envoy watches.
 *
 * Each file is written to a dot-prefixed temp file in the SAME directory (so rename(2) is atomic
 * and never crosses a filesystem), with its final mode set at creation, fsync'ed, then renamed over
 * the target; the directory is fsync'ed afterwards so the rename is durable. Envoy's
 * `watched_directory` fires on the rename ("moved to") and re-reads the complete file: it can never
 * see a half-written key or chain.
 */
import { promises as nodeFs, constants as fsConstants } from "node:fs";
import { readdir } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import * as path from "node:path";
import { stringify } from "yaml";
import { IDENTITY_FILES } from "../identity-files";
import { certificateSdsDocument, trustBundleSdsDocument } from "../sds";

/** The filesystem operations the sidecar uses (injectable so tests can observe every step). */
export interface FsOps {
  open: typeof nodeFs.open;
  rename: typeof nodeFs.rename;
  unlink: typeof nodeFs.unlink;
}

export const nodeFsOps: FsOps = { open: nodeFs.open, rename: nodeFs.rename, unlink: nodeFs.unlink };

export const KEY_FILE_MODE = 0o600;
export const PUBLIC_FILE_MODE = 0o644;

export const STATUS_FILE = "status.json";

/** Temp files start with this prefix; anything matching it in the directory is an unfinished write. */
export const TEMP_PREFIX = ".farcar-tmp-";

/** Writes `data` to `dir/name` atomically with `mode`. */
export async function atomicWriteFile(
  dir: string,
  name: string,
  data: string,
  mode: number,
  fs: FsOps = nodeFsOps,
): Promise<void> {
  const target = path.join(dir, name);
  const temp = path.join(dir, `${TEMP_PREFIX}${name}.${randomBytes(6).toString("hex")}`);
  // O_EXCL: never follow or reuse something already there. The mode is applied at creation, so
  // the key is never readable by others, not even for an instant (the umask can only remove bits;
  // chmod below restores the exact mode when a umask was stricter than wanted).
  const handle = await fs.open(temp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, mode);
  try {
    try {
      await handle.writeFile(data, "utf8");
      await handle.chmod(mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, target);
  } catch (err) {
    await fs.unlink(temp).catch(() => undefined);
    throw err;
  }
  await fsyncDir(dir, fs);
}

/** Removes temp files a crashed previous run of the sidecar may have left (Envoy ignores them anyway). */
export async function removeStaleTempFiles(dir: string, fs: FsOps = nodeFsOps): Promise<void> {
  for (const entry of await readdir(dir)) {
    if (entry.startsWith(TEMP_PREFIX)) await fs.unlink(path.join(dir, entry)).catch(() => undefined);
  }
}

async function fsyncDir(dir: string, fs: FsOps): Promise<void> {
  const handle = await fs.open(dir, fsConstants.O_RDONLY);
  try {
    await handle.sync().catch(() => undefined); // some filesystems refuse fsync on directories
  } finally {
    await handle.close();
  }
}

/** The SDS documents exactly as Envoy must read them (YAML; JSON would be valid YAML too). */
export function sdsFileContents(): Record<"certificateSds" | "trustBundleSds", string> {
  return {
    certificateSds: stringify(certificateSdsDocument()),
    trustBundleSds: stringify(trustBundleSdsDocument()),
  };
}

/**
 * Installs a key/chain pair. The key is written BEFORE the chain: between the two renames Envoy
 * may observe (new key, old chain); it checks that a private key matches its certificate and
 * rejects that inconsistent pair, keeping the previous secret in use; the chain's rename then
 * triggers another watch event and Envoy loads the consistent new pair.
 */
export async function installKeyAndChain(
  dir: string,
  svid: { privateKeyPem: string; chainPem: string },
  fs: FsOps = nodeFsOps,
): Promise<void> {
  await atomicWriteFile(dir, IDENTITY_FILES.privateKey, svid.privateKeyPem, KEY_FILE_MODE, fs);
  await atomicWriteFile(dir, IDENTITY_FILES.certificateChain, svid.chainPem, PUBLIC_FILE_MODE, fs);
}

/** Writes the trust bundle and both SDS documents (at startup, after the first key/chain). */
export async function installBundleAndSds(dir: string, trustBundlePem: string, fs: FsOps = nodeFsOps): Promise<void> {
  await atomicWriteFile(dir, IDENTITY_FILES.trustBundle, trustBundlePem, PUBLIC_FILE_MODE, fs);
  const sds = sdsFileContents();
  await atomicWriteFile(dir, IDENTITY_FILES.certificateSds, sds.certificateSds, PUBLIC_FILE_MODE, fs);
  await atomicWriteFile(dir, IDENTITY_FILES.trustBundleSds, sds.trustBundleSds, PUBLIC_FILE_MODE, fs);
}
