/**
 * FC-LOGS-RETENTION: every log group has a retention.
 */
import { TerraformVariable } from "cdktf";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { logsRetention } from "../../modules/rules/logs-retention";
import { compliant, evaluate, nonCompliant } from "./support";

describe("FC-LOGS-RETENTION", () => {
  test("passes a log group with a retention, or with one set at deploy time", () => {
    expect(evaluate(logsRetention, (stack) => new CloudwatchLogGroup(stack, "logs", { name: "/farcar/x", retentionInDays: 30 }))).toEqual(
      compliant
    );
    expect(
      evaluate(logsRetention, (stack) => {
        const days = new TerraformVariable(stack, "log_retention_days", { type: "number" });
        return new CloudwatchLogGroup(stack, "logs", { name: "/farcar/x", retentionInDays: days.numberValue });
      })
    ).toEqual(compliant);
  });

  test("fails a log group without retention (kept forever)", () => {
    expect(evaluate(logsRetention, (stack) => new CloudwatchLogGroup(stack, "logs", { name: "/farcar/x" }))).toEqual(
      nonCompliant('log group "/farcar/x" has no retention_in_days (kept forever)')
    );
  });

  test("fails retention_in_days = 0 (never expire)", () => {
    expect(evaluate(logsRetention, (stack) => new CloudwatchLogGroup(stack, "logs", { name: "/farcar/x", retentionInDays: 0 }))).toEqual(
      nonCompliant('log group "/farcar/x" has retention_in_days = 0 (kept forever)')
    );
  });
});
