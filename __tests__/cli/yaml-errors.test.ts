/**
 * YAML syntax errors point at the line that causes them (not the line after, not the end of the
 * file), name the YAML path of the keys around it and give a hint; the cascade of follow-on parser
 * errors is summarised, not listed.
 */
import { BASE_FLEET, fleetWith } from "../config/fleet-fixture";
import { fleetProblems } from "../support/synth";


describe("YAML syntax errors", () => {
  test("a key indented one space too little: that line and column, its path, the rule", () => {
    const text = fleetWith(["          proxyVpcCidr: 10.64.0.0/20", "         proxyVpcCidr: 10.64.0.0/20"]);
    const [p, ...rest] = fleetProblems(text);
    expect(rest).toEqual([]);
    expect(p).toMatch(/^inline\.yaml:21:10: acquisitions\.afterpay\.environments\.staging\.network\.proxyVpcCidr: invalid YAML: .*; keys of one mapping must start in the same column; indent a nested block 2 spaces deeper than its parent key/);
    expect(p).toMatch(/more YAML errors? after it usually follow from this one/);
  });

  test("a line indented deeper under a key that opens no block: that line, not the next key", () => {
    const text = fleetWith(["roleArns: [arn:aws:iam::333333333333:role/checkout-staging]\n", "roleArns: [arn:aws:iam::333333333333:role/checkout-staging]\n              methods: [GET]\n"]);
    expect(fleetProblems(text)[0]).toMatch(/^inline\.yaml:27:15: acquisitions\.afterpay\.environments\.staging\.inbound\.checkout\.roleArns\.methods: invalid YAML/);
  });

  test("an unclosed [ points at the [ even when it is the last line", () => {
    const text = fleetWith(["targets: [payments, ledger]", "targets: [payments, ledger"]);
    expect(fleetProblems(text)[0]).toMatch(/^inline\.yaml:27:22: acquisitions\.afterpay\.environments\.staging\.inbound\.checkout\.targets: invalid YAML: .*close the list with \]/);
  });

  test("a tab: indent with spaces", () => {
    expect(fleetProblems(BASE_FLEET.replace("region: us-east-1\n", "region: us-east-1\n\ttags: {}\n"))[0]).toMatch(/^inline\.yaml:3:1: .*invalid YAML: Tabs .*; indent with spaces, not tabs/);
  });
});
