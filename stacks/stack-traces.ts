/**
 * cdktf records a full stack trace (`Error.captureStackTrace` with an unlimited depth, then split
 * into lines) for every token it creates — Lazy, Intrinsic (every reference), ComplexComputedList,
 * dynamic blocks and expressions — only to print it if that token later fails to resolve. Under
 * tsx, each trace is also source-mapped. Profiled on a 1,000-service synth: 22% of the CPU and
 * 57% of the live heap (issue 14).
 *
 * cdktf 0.21.0 has no switch for it: `new App({ stackTraces: false })` only stops the traces of
 * annotations (context key `@cdktf/disable_stack_trace_in_metadata`, lib/annotations.js), and
 * construct metadata traces are already off by default (constructs 10: `stackTrace ?? false`).
 * The token classes call it as `(0, stack_trace_1.captureStackTrace)()` — a property read on the
 * exports object of `cdktf/lib/tokens/private/stack-trace.js` at each call — so replacing that
 * property turns the capture off for every token, without patching files in node_modules.
 *
 * What is lost: the "Object creation stack" cdktf appends to a token resolution error. Set
 * FARCAR_STACK_TRACES=1 to keep it when debugging one (help/troubleshooting in README.md).
 * The synthesized Terraform is the same either way (__tests__/stacks/stack-traces.test.ts).
 */
// Resolved from cdktf's own entry point, so it is the copy cdktf uses. (For the cdktn fork, the same file exists under its package.)
// eslint-disable-next-line @typescript-eslint/no-require-imports
const stackTraceModule = require(require.resolve("./tokens/private/stack-trace", { paths: [require("node:path").dirname(require.resolve("cdktf"))] })) as {
  captureStackTrace: (below?: unknown) => string[];
};

const original = stackTraceModule.captureStackTrace;
const none = (): string[] => [];

/** Environment variable that keeps cdktf's token creation stacks. */
export const KEEP_STACK_TRACES_ENV = "FARCAR_STACK_TRACES";

/**
 * Stops cdktf's per-token stack traces for this process (unless FARCAR_STACK_TRACES=1).
 * Idempotent. Returns a function that restores them.
 */
export function disableTokenStackTraces(env: NodeJS.ProcessEnv = process.env): () => void {
  if (env[KEEP_STACK_TRACES_ENV] === "1") return () => undefined;
  stackTraceModule.captureStackTrace = none;
  return () => {
    stackTraceModule.captureStackTrace = original;
  };
}

/** Whether cdktf currently records token creation stacks. */
export function tokenStackTracesEnabled(): boolean {
  return stackTraceModule.captureStackTrace !== none;
}
