/**
 * The Farcar data plane. Re-exports only.
 *
 * envoy/validate.ts is deliberately not re-exported: it loads Envoy's API protos through
 * devDependencies and belongs to tests and scripts, never to a synth. Import it by path.
 */
export * from "./bootstrap";
export * from "./render";
export * from "./identity-files";
export * from "./sds";
export * from "./egress";
