/**
 * The slot lock: which shared NLB and which listener port each service of each direction holds,
 * kept next to the fleet file (`fleet.yaml` → `fleet.lock.json`) like package-lock.json, written
 * only by `npm run lock` and checked in CI with `npm run lock -- --check`.
 *
 * Why state: a slot derived from the fleet file alone (a position, a hash modulo the NLB count)
 * moves when another service is added or removed, and a moved slot replaces that service's
 * listener and integration. With the lock, a slot never moves:
 *  - a service keeps its NLB and port for as long as it is in the fleet file;
 *  - a new service takes the lowest NLB with room, on that NLB's next unused port (ports are never
 *    reused: a listener being destroyed and one being created in the same apply never collide);
 *  - a removed service's slot is freed (its NLB gets room again), nothing else changes.
 * help/scaling.md describes the layout that consumes these slots.
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type { Fleet } from "./fleet";
import { LISTENERS_PER_NLB } from "../modules/private-api/layout";

export const LOCK_VERSION = 1;
/** First listener port on each shared NLB (the Farcar containers keep their own ports). */
export const LISTENER_PORT_BASE = 10000;
/** AWS: targets per cross-zone NLB (https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-limits.html). */
export const TARGETS_PER_NLB = 500;

export type Direction = "ingress" | "egress";

export interface ServiceSlot {
  /** Index of the shared NLB (stable construct ID `nlb-<index>`). */
  readonly nlb: number;
  /** Listener port on that NLB. */
  readonly port: number;
}

export interface DirectionLock {
  /** Per NLB index: the next port a new service gets there. */
  readonly nlbs: ReadonlyArray<{ readonly nextPort: number }>;
  readonly services: Readonly<Record<string, ServiceSlot>>;
}

export interface SlotLock {
  readonly version: number;
  readonly environments: Readonly<Record<string, Partial<Record<Direction, DirectionLock>>>>;
}

/** `dir/fleet.yaml` → `dir/fleet.lock.json`. */
export function lockFileFor(fleetFile: string): string {
  const ext = path.extname(fleetFile);
  return path.join(path.dirname(fleetFile), `${path.basename(fleetFile, ext)}.lock.json`);
}

/** The lock next to `fleetFile`, or undefined when there is none. Throws with the fix on a malformed file. */
export function readLock(fleetFile: string): SlotLock | undefined {
  const file = lockFileFor(fleetFile);
  if (!existsSync(file)) return undefined;
  let lock: SlotLock;
  try {
    lock = JSON.parse(readFileSync(file, "utf8")) as SlotLock;
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message}). Fix: restore it from version control, or delete it and run npm run lock`);
  }
  if (lock.version !== LOCK_VERSION || typeof lock.environments !== "object") {
    throw new Error(`${file}: not a version ${LOCK_VERSION} Farcar lock file. Fix: restore it from version control, or delete it and run npm run lock`);
  }
  return lock;
}

/**
 * Services one NLB takes: 50 listeners, fewer when the targets of its services (2 × desiredCount
 * each while ECS replaces tasks) would pass the 500 targets of a cross-zone NLB.
 */
export function servicesPerNlb(desiredCount: number): number {
  return Math.max(1, Math.min(LISTENERS_PER_NLB, Math.floor(TARGETS_PER_NLB / (2 * desiredCount))));
}

/** The services of each direction of each environment, in fleet-file order. */
function directions(fleet: Fleet): Array<{ env: string; direction: Direction; services: string[]; capacity: number }> {
  return fleet.environments.flatMap((e) => {
    const out: Array<{ env: string; direction: Direction; services: string[]; capacity: number }> = [];
    const capacity = servicesPerNlb(e.farcar.desiredCount);
    if (e.inbound.length) out.push({ env: e.key, direction: "ingress", services: e.inbound.map((s) => s.name), capacity });
    if (e.egress && e.outbound.length) out.push({ env: e.key, direction: "egress", services: e.outbound.map((s) => s.name), capacity });
    return out;
  });
}

/** Assign slots to `services`, keeping every slot `previous` already gives. */
export function assignSlots(previous: DirectionLock | undefined, services: readonly string[], capacity: number): DirectionLock {
  const nlbs = (previous?.nlbs ?? []).map((n) => ({ nextPort: n.nextPort }));
  const slots: Record<string, ServiceSlot> = {};
  const members = nlbs.map(() => 0);
  for (const s of services) {
    const kept = previous?.services[s];
    if (kept) {
      slots[s] = kept;
      members[kept.nlb] = (members[kept.nlb] ?? 0) + 1;
    }
  }
  for (const s of services) {
    if (slots[s]) continue;
    let nlb = members.findIndex((n) => n < capacity);
    if (nlb < 0) {
      nlb = nlbs.length;
      nlbs.push({ nextPort: LISTENER_PORT_BASE });
      members.push(0);
    }
    slots[s] = { nlb, port: nlbs[nlb].nextPort };
    nlbs[nlb].nextPort += 1;
    members[nlb] += 1;
  }
  const sorted = Object.fromEntries(Object.keys(slots).sort().map((k) => [k, slots[k]]));
  return { nlbs, services: sorted };
}

/** The lock for `fleet`, keeping every slot of `previous` whose service is still in the fleet. */
export function updateLock(previous: SlotLock | undefined, fleet: Fleet): SlotLock {
  const environments: Record<string, Partial<Record<Direction, DirectionLock>>> = {};
  for (const d of directions(fleet)) {
    (environments[d.env] ??= {})[d.direction] = assignSlots(previous?.environments[d.env]?.[d.direction], d.services, d.capacity);
  }
  return { version: LOCK_VERSION, environments: Object.fromEntries(Object.keys(environments).sort().map((k) => [k, environments[k]])) };
}

/** Canonical text of a lock: one line per service and per NLB, so a diff shows exactly the slots that changed. */
export function renderLock(lock: SlotLock): string {
  const text = JSON.stringify(lock, null, 2)
    .replace(/\{\n\s*"nlb": (\d+),\n\s*"port": (\d+)\n\s*\}/g, '{ "nlb": $1, "port": $2 }')
    .replace(/\{\n\s*"nextPort": (\d+)\n\s*\}/g, '{ "nextPort": $1 }');
  return `${text}\n`;
}

/** What `npm run lock` would change, one line per service (empty when the lock is current). */
export function lockDrift(lock: SlotLock | undefined, fleet: Fleet): string[] {
  const next = updateLock(lock, fleet);
  const out: string[] = [];
  const keys = new Set([...Object.keys(lock?.environments ?? {}), ...Object.keys(next.environments)]);
  for (const env of [...keys].sort()) {
    for (const direction of ["ingress", "egress"] as const) {
      const before = lock?.environments[env]?.[direction]?.services ?? {};
      const after = next.environments[env]?.[direction]?.services ?? {};
      for (const s of Object.keys(after)) if (!before[s]) out.push(`${env} ${direction}: ${s} has no slot yet`);
      for (const s of Object.keys(before)) if (!after[s]) out.push(`${env} ${direction}: ${s} is no longer in the fleet file`);
    }
  }
  if (!out.length && lock && renderLock(lock) !== renderLock(next)) out.push("the lock file is not in its canonical form");
  return out;
}

/**
 * The slots of one direction as the stacks use them: the lock next to the fleet file, with a slot
 * assigned (as `npm run lock` would) to any service the lock does not list yet. Without a lock
 * every slot is assigned afresh in fleet-file order; `npm run lock -- --check` fails CI until the
 * lock is written, so a deployed fleet's slots never come from here alone.
 */
export function directionSlots(fleet: Fleet, environmentKey: string, direction: Direction): DirectionLock {
  return updateLock(readLock(fleet.file), fleet).environments[environmentKey]?.[direction] ?? { nlbs: [], services: {} };
}
