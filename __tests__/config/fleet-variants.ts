/**
 * Variants of the test fleet (fleet-fixture.ts BASE_FLEET) that several test files use: each file
 * checks its variant's synthesized stack, and __tests__/terraform/variants.test.ts plans all of
 * them (all at once, ALL_KNOBS_FLEET) in one Terraform root (one init, one plan, one show: issue 14).
 */
import { fleetWith } from "./fleet-fixture";

type Edit = [from: string, to: string];

/** afterpay-staging on Fargate ARM64 (Graviton). */
const ARM_EDITS: Edit[] = [["inbound:\n", "farcar: { cpuArchitecture: ARM64 }\n        inbound:\n"]];
export const ARM_FLEET = fleetWith(...ARM_EDITS);

/** afterpay-staging in its own region, ap-southeast-2, while the fleet's region is us-east-1. */
const SYDNEY_EDITS: Edit[] = [
  // a transit gateway is regional: the Sydney proxy VPC is routed to the mesh by the operator
  ["routing: { transitGatewayId: tgw-0a1b2c3d4e5f60718, cidrs: [10.0.0.0/12] }", "routing: { cidrs: [10.0.0.0/12] }"],
  ["        proxyAccount: { email: aws+afterpay-staging@block.example }", "        region: ap-southeast-2\n        proxyAccount: { email: aws+afterpay-staging@block.example }"],
  ["availabilityZones: [us-east-1a, us-east-1b]", "availabilityZones: [ap-southeast-2a, ap-southeast-2b]"],
];
export const SYDNEY_FLEET = fleetWith(...SYDNEY_EDITS);

/** The SVID writer of another account (identity.svidWriterArn), with secretsManager SVIDs. */
export const SVID_WRITER_ARN = "arn:aws:iam::111111111111:role/spire-svid-writer";
const SVID_WRITER_EDITS: Edit[] = [["        network:", `        identity: { source: secretsManager, svidWriterArn: "${SVID_WRITER_ARN}" }\n        network:`]];
export const SVID_WRITER_FLEET = fleetWith(...SVID_WRITER_EDITS);

/** The longest names the fleet allows: 63-character acquisition, environment and service. */
export const LONG_NAMES = { acquisition: `a${"c".repeat(61)}q`, environment: `e${"n".repeat(61)}v`, service: `s${"v".repeat(61)}c` };
const LONG_NAMES_EDITS: Edit[] = [
  ["  afterpay:", `  ${LONG_NAMES.acquisition}:`],
  ["      staging:", `      ${LONG_NAMES.environment}:`],
  ["          checkout:", `          ${LONG_NAMES.service}:`],
];
export const LONG_NAMES_FLEET = fleetWith(...LONG_NAMES_EDITS);
export const LONG_NAMES_STACK = `${LONG_NAMES.acquisition}-${LONG_NAMES.environment}-ingress`;

/**
 * Every knob above at once — Sydney, ARM64, the SVID writer, the longest names — each independent
 * of the others: the one stack terraform/variants plans for all of them.
 */
export const ALL_KNOBS_FLEET = fleetWith(...SYDNEY_EDITS, ...ARM_EDITS, ...SVID_WRITER_EDITS, ...LONG_NAMES_EDITS);
export const ALL_KNOBS_STACK = LONG_NAMES_STACK;
