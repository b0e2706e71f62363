/**
 * `npm run lock [-- --fleet FILE] [--check]`: write the slot lock next to the fleet file
 * (`fleet.yaml` → `fleet.lock.json`; config/lock.ts, help/scaling.md). Existing slots never move;
 * new services get the next free slot; removed services free theirs.
 *
 *   --check   write nothing; exit 1, naming each service, when the lock is missing or out of date
 *             (for CI: the lock is committed with the fleet file, like package-lock.json)
 */
import { readFileSync, writeFileSync } from "node:fs";
import { FleetError } from "../config/errors";
import { DEFAULT_FLEET_FILE, loadFleet } from "../config/load";
import { lockDrift, lockFileFor, readLock, renderLock, updateLock } from "../config/lock";

/** The command; returns its exit status (0, 1 when the lock is missing or out of date or the fleet is invalid, 2 on a bad argument). */
export function main(argv: readonly string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): number {
  let fleetFile = env.FARCAR_CONFIG || DEFAULT_FLEET_FILE;
  let check = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--fleet" && argv[i + 1]) fleetFile = argv[++i];
    else if (argv[i] === "--check") check = true;
    else {
      process.stderr.write(`lock: unknown argument ${argv[i]}\nusage: npm run lock [-- --fleet FILE] [--check]\n`);
      return 2;
    }
  }
  const file = lockFileFor(fleetFile);
  try {
    const fleet = loadFleet(fleetFile);
    const lock = readLock(fleetFile);
    const drift = lockDrift(lock, fleet);
    if (check) {
      if (!lock) {
        process.stderr.write(`lock: ${file} is missing. Fix: run npm run lock and commit ${file} with the fleet file\n`);
        return 1;
      }
      if (!drift.length && readFileSync(file, "utf8") !== renderLock(updateLock(lock, fleet))) drift.push("the lock file is not in its canonical form");
      if (drift.length) {
        process.stderr.write(`lock: ${file} is out of date:\n${drift.map((d) => `  ${d}`).join("\n")}\nFix: run npm run lock and commit ${file}\n`);
        return 1;
      }
      process.stdout.write(`lock: ${file} is up to date\n`);
      return 0;
    }
    writeFileSync(file, renderLock(updateLock(lock, fleet)));
    process.stdout.write(drift.length ? `lock: wrote ${file}\n${drift.map((d) => `  ${d}`).join("\n")}\n` : `lock: ${file} is up to date\n`);
    return 0;
  } catch (err) {
    if (err instanceof FleetError || err instanceof Error) {
      process.stderr.write(`lock: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

// Run as a command (npm run lock); imported, main() is the tests' seam.
if (require.main === module) process.exitCode = main();
