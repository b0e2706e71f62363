/** What each kind of stack does, in the words of a module README. */
import type { StackInfo } from "./convert";

export function moduleSummary(stack: StackInfo): string {
  const where = stack.acquisition && stack.environment ? `${stack.acquisition}/${stack.environment}` : undefined;
  switch (stack.kind) {
    case "org":
      return (
        "Farcar's organization resources, for the AWS Organizations management account: one proxy account per " +
        "environment that asks Farcar to create it (in the proxy OU, `close_on_deletion = false`, protected from " +
        "destroy), and the guardrail SCPs on the proxy OU and every adopted proxy account (stay in the org, keep " +
        "CloudTrail, no IAM users, fleet regions only; only the deploy, break-glass and platform roles may change what " +
        "carries a Farcar's identity). Its `account_id_*` outputs feed the `proxy_account_id` input of the proxy-account modules."
      );
    case "ingress":
      return (
        `The ingress path of ${where}, in its proxy account: acquisition services call into the parent company's ` +
        "Envoy mTLS mesh. It holds the proxy VPC, the acquisition VPC with its execute-api endpoint, the private " +
        "REST API and its resource policy (only service X's roles may invoke `/X/*`, only through that endpoint), " +
        "and per inbound service a VPC link, an NLB and a Fargate service running the Farcar (Envoy) that enters " +
        "the mesh with X's SPIFFE identity; plus ECS, IAM, logs and identity material."
      );
    case "egress":
      return (
        `The egress path of ${where}, in its egress proxy account: parent services call into the acquisition ` +
        "through a private REST API and a Farcar per outbound service that speaks the acquisition's native identity."
      );
    case "images":
      return (
        `The ECR repositories (\`farcar/envoy\`, \`farcar/identity\`) of the ${stack.proxyStack?.kind === "egress" ? "egress " : ""}proxy account of ${where}. ` +
        `Apply it first, push both images (its \`push_commands\` output), then apply the \`farcar-${stack.proxyStack?.name}\` module, ` +
        "whose Fargate services run these images: created in the same apply, the services would start before anything could be pushed."
      );
    default:
      return `The Farcar stack \`${stack.name}\`.`;
  }
}
