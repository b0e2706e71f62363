/** Small helpers for values that may be literals or Terraform tokens. */
import { Fn, Token } from "cdktf";

/** `override` unless it is empty or null, else `fallback` (Terraform's coalesce). */
export function unlessEmpty(override: string, fallback: string): string {
  return Token.asString(Fn.coalesce([override, fallback]));
}

/** A number as a string argument, for literals and tokens alike. */
export function numberArg(n: number): string {
  return Token.isUnresolved(n) ? Token.asString(n) : String(n);
}
