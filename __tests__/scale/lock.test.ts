/**
 * The slot lock (config/lock.ts, `npm run lock`): a service's NLB and listener port never move
 * when another service is added or removed.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { loadFleet } from "../../config/load";
import { assignSlots, LISTENER_PORT_BASE, lockDrift, lockFileFor, readLock, servicesPerNlb, updateLock } from "../../config/lock";
import { BASE_FLEET } from "../config/fleet-fixture";
import { AnnotationMetadataEntryType } from "cdktf";
import { EXAMPLE_FLEET, synthFleet } from "../support/synth";
import { main as lockMain } from "../../scripts/lock";
import { inProcess } from "../cli/support";

const ROOT = path.resolve(__dirname, "../..");
const names = (n: number, prefix = "svc") => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe("assignSlots", () => {
  test("fills NLBs in order, one listener port per service, at most `capacity` services per NLB", () => {
    const lock = assignSlots(undefined, names(120), 50);
    expect(lock.nlbs).toEqual([{ nextPort: LISTENER_PORT_BASE + 50 }, { nextPort: LISTENER_PORT_BASE + 50 }, { nextPort: LISTENER_PORT_BASE + 20 }]);
    expect(lock.services.svc0).toEqual({ nlb: 0, port: LISTENER_PORT_BASE });
    expect(lock.services.svc50).toEqual({ nlb: 1, port: LISTENER_PORT_BASE });
    expect(lock.services.svc119).toEqual({ nlb: 2, port: LISTENER_PORT_BASE + 19 });
    const ports = Object.values(lock.services).map((s) => `${s.nlb}:${s.port}`);
    expect(new Set(ports).size).toBe(120);
  });

  test("adding a service anywhere in the file moves no other service", () => {
    const before = assignSlots(undefined, names(120), 50);
    const list = names(120);
    list.splice(7, 0, "newcomer"); // inserted in the middle of the fleet file
    const after = assignSlots(before, list, 50);
    for (const [s, slot] of Object.entries(before.services)) expect(after.services[s]).toEqual(slot);
    expect(after.services.newcomer).toEqual({ nlb: 2, port: LISTENER_PORT_BASE + 20 });
    expect(Object.keys(after.services)).toHaveLength(121);
  });

  test("removing a service frees its place but not its port; no other service moves", () => {
    const before = assignSlots(undefined, names(120), 50);
    const after = assignSlots(before, names(120).filter((s) => s !== "svc3"), 50);
    for (const [s, slot] of Object.entries(after.services)) expect(slot).toEqual(before.services[s]);
    expect(after.services.svc3).toBeUndefined();
    // The next service goes to the freed NLB 0, on a port no listener there has had.
    const next = assignSlots(after, [...names(120).filter((s) => s !== "svc3"), "late"], 50);
    expect(next.services.late).toEqual({ nlb: 0, port: LISTENER_PORT_BASE + 50 });
  });

  test("NLB capacity keeps 2 x desiredCount targets per service within 500 per NLB", () => {
    expect([servicesPerNlb(2), servicesPerNlb(5), servicesPerNlb(6), servicesPerNlb(100)]).toEqual([50, 50, 41, 2]);
    for (const d of [2, 3, 5, 6, 7, 10, 25, 100]) expect(servicesPerNlb(d) * 2 * d).toBeLessThanOrEqual(500);
  });
});

describe("the example fleet's lock", () => {
  test("is committed and current (what `npm run lock -- --check` enforces in CI)", () => {
    const lock = readLock(EXAMPLE_FLEET);
    expect(lock).toBeDefined();
    expect(lockDrift(lock, loadFleet(EXAMPLE_FLEET))).toEqual([]);
  });
});

describe("npm run lock", () => {
  /** As a user runs it: tsx, a child process (the exit status reaches the shell). */
  const spawned = (dir: string, ...args: string[]) =>
    spawnSync(process.execPath, [path.join(ROOT, "node_modules/tsx/dist/cli.mjs"), path.join(ROOT, "scripts/lock.ts"), "--fleet", path.join(dir, "fleet.yaml"), ...args], {
      cwd: dir,
      encoding: "utf8",
    });
  /** The same command in-process (scripts/lock.ts main), output captured. */
  const run = (dir: string, ...args: string[]) => inProcess(async () => lockMain(["--fleet", path.join(dir, "fleet.yaml"), ...args], {}), dir);

  test("writes the lock next to the fleet file; --check fails, naming the service, until the lock is rewritten", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "farcar-lock-"));
    cpSync(path.join(ROOT, "examples/mesh"), path.join(dir, "mesh"), { recursive: true });
    writeFileSync(path.join(dir, "fleet.yaml"), BASE_FLEET);
    const lockFile = lockFileFor(path.join(dir, "fleet.yaml"));
    expect(lockFile).toBe(path.join(dir, "fleet.lock.json"));

    const missing = spawned(dir, "--check");
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("fleet.lock.json is missing. Fix: run npm run lock");
    expect(existsSync(lockFile)).toBe(false); // --check writes nothing

    let r = await run(dir);
    expect(r.status).toBe(0);
    const first = readFileSync(lockFile, "utf8");
    expect(first).toContain('"checkout": { "nlb": 0, "port": 10000 }');
    expect((await run(dir, "--check")).status).toBe(0);

    writeFileSync(path.join(dir, "fleet.yaml"), BASE_FLEET + "          refunds:\n            roleArns: [arn:aws:iam::333333333333:role/refunds]\n            targets: [payments]\n");
    r = await run(dir, "--check");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("afterpay-staging ingress: refunds has no slot yet");

    expect((await run(dir)).status).toBe(0);
    const second = readFileSync(lockFile, "utf8");
    // Only the new service's line and its NLB's next port differ (JSON commas aside).
    const lines = (text: string) => text.split("\n").map((l) => l.trim().replace(/,$/, ""));
    const removed = lines(first).filter((l) => !lines(second).includes(l));
    const added = lines(second).filter((l) => !lines(first).includes(l));
    expect(removed).toEqual(['{ "nextPort": 10002 }']);
    expect(added.sort()).toEqual(['"refunds": { "nlb": 0, "port": 10002 }', '{ "nextPort": 10003 }']);
  });

  test("updateLock drops environments and services that left the fleet", () => {
    const fleet = loadFleet(EXAMPLE_FLEET);
    const lock = updateLock(undefined, fleet);
    const smaller = { ...fleet, environments: fleet.environments.slice(1) };
    const next = updateLock(lock, smaller);
    expect(Object.keys(next.environments)).not.toContain(fleet.environments[0].key);
    expect(lockDrift(lock, smaller)).toEqual(expect.arrayContaining([expect.stringMatching(/is no longer in the fleet file$/)]));
  });
});

describe("the stacks take their slots from the lock", () => {
  test("a service keeps its locked NLB and port; a service the lock lacks gets the next one, with a warning to run npm run lock", () => {
    // GIVEN a lock that places checkout at port 10007 and does not know disputes yet
    const dir = mkdtempSync(path.join(tmpdir(), "farcar-lock-stacks-"));
    cpSync(path.join(ROOT, "examples/mesh"), path.join(dir, "mesh"), { recursive: true });
    writeFileSync(path.join(dir, "fleet.yaml"), BASE_FLEET);
    const lock = {
      version: 1,
      environments: { "afterpay-staging": { ingress: { nlbs: [{ nextPort: 10008 }], services: { checkout: { nlb: 0, port: 10007 } } } } },
    };
    writeFileSync(lockFileFor(path.join(dir, "fleet.yaml")), JSON.stringify(lock));
    // WHEN the stacks are synthesized
    const synth = synthFleet(loadFleet(path.join(dir, "fleet.yaml")));
    const tf = synth.json("afterpay-staging-ingress");
    const listenerOf = (service: string) => Object.entries<Record<string, unknown>>(tf.resource.aws_lb_listener).find(([id]) => id.startsWith(`farcar-${service}_`))![1];
    // THEN checkout listens where the lock says, disputes on the NLB's next port
    expect(listenerOf("checkout").port).toBe(10007);
    expect(listenerOf("disputes").port).toBe(10008);
    const [stack] = synth.stacks.ingress;
    const warnings = stack.node.metadata.filter((m) => m.type === AnnotationMetadataEntryType.WARN).map((m) => String(m.data));
    expect(warnings).toContainEqual(expect.stringMatching(/fleet\.lock\.json is out of date \(disputes has no slot yet\): run npm run lock and commit it$/));
  });
});
