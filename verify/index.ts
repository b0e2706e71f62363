/** Verification layer 4, the isolation proof (`npm run verify`); see help/security.md. */
export * from "./isolation";
export * from "./integrations";
export * from "./matrix";
export * from "./report";
export * from "./simulator";
export * from "./synth";
export * from "./terraform-refs";
export * from "./parallel";
