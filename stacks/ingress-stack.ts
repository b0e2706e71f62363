/**
 * `<acquisition>-<environment>-ingress`: acquisition services calling into the parent mesh.
 */
import type { Construct } from "constructs";
import { ProxyStack, type ProxyStackProps } from "./proxy-stack";

export class IngressStack extends ProxyStack {
  constructor(scope: Construct, props: ProxyStackProps) {
    super(scope, "ingress", props);
  }
}
