/** What the renewal loop needs from an identity source. */
import type { Svid } from "./svid";

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface IdentitySource {
  readonly kind: "privateCa" | "secretsManager";
  /**
   * Obtains a verified SVID to install, or `undefined` when `current` is still the newest one.
   * Throws on any failure (the loop retries with backoff); never returns an unverified SVID.
   */
  fetch(current: Svid | undefined): Promise<Svid | undefined>;
  /** When to call `fetch` again after `current` was installed or confirmed. */
  nextCheck(current: Svid, now: Date): Date;
}

/** A real sleep that resolves early when `signal` aborts. */
export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, Math.min(Math.max(0, ms), 2 ** 31 - 1));
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
