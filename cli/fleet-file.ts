/**
 * Which fleet file a command uses, in one place for `farcar` and `main.ts` (`npx cdktf synth`):
 * the explicit argument, else $FARCAR_CONFIG, else `context.farcarConfig` in ./cdktf.json, else the
 * example fleet — and a one-line banner saying which one and why, so a forgotten FARCAR_CONFIG is
 * visible instead of silently synthesizing the example.
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { DEFAULT_FLEET_FILE } from "../config/load";

/** cdktf.json `context` key naming the fleet file (relative to cdktf.json). */
export const CDKTF_CONTEXT_KEY = "farcarConfig";

export type FleetFileSource = "argument" | "FARCAR_CONFIG" | "cdktf.json" | "default";

export interface FleetFileChoice {
  readonly file: string;
  readonly source: FleetFileSource;
}

export function resolveFleetFile(
  explicit: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): FleetFileChoice {
  if (explicit) return { file: explicit, source: "argument" };
  if (env.FARCAR_CONFIG) return { file: env.FARCAR_CONFIG, source: "FARCAR_CONFIG" };
  const cdktfJson = path.join(cwd, "cdktf.json");
  if (existsSync(cdktfJson)) {
    try {
      const value = (JSON.parse(readFileSync(cdktfJson, "utf8")) as { context?: Record<string, unknown> }).context?.[CDKTF_CONTEXT_KEY];
      if (typeof value === "string" && value) return { file: path.normalize(value), source: "cdktf.json" };
    } catch {
      // An unreadable cdktf.json is cdktf's to report; fall through to the default.
    }
  }
  return { file: DEFAULT_FLEET_FILE, source: "default" };
}

/** `farcar: fleet examples/fleet.yaml (default: …)` */
export function banner(choice: FleetFileChoice): string {
  const why: Record<FleetFileSource, string> = {
    argument: "from the command line",
    FARCAR_CONFIG: "from FARCAR_CONFIG",
    "cdktf.json": `from cdktf.json context.${CDKTF_CONTEXT_KEY}`,
    default: `the example fleet: no file argument, FARCAR_CONFIG or cdktf.json context.${CDKTF_CONTEXT_KEY}`,
  };
  return `farcar: fleet ${choice.file} (${why[choice.source]})`;
}
