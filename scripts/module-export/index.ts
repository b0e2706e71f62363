export * from "./convert";
export * from "./errors";
export * from "./export";
export * from "./module-tags";
export * from "./readme";
export * from "./remote-state";
export * from "./versions";
