/**
 * Cases the isolation proof can settle without simulating them: a request that **no Allow
 * statement could apply to** is denied. That is IAM's default (an explicit Allow is required;
 * without one the request is implicitly denied), and it is checked here with deliberately
 * generous matching, so "no Allow could apply" is never concluded for a request iam-simulate would
 * let through:
 *
 *   - a statement's Resource is a glob over the whole ARN (`*` any run of characters, colons
 *     included; `?` any one), compared case-insensitively — a superset of IAM's segment-by-segment,
 *     case-sensitive ARN matching; anything with a policy variable (`${…}`), a NotResource, a
 *     NotAction or a NotPrincipal counts as applying;
 *   - Action likewise (a glob against `execute-api:Invoke`);
 *   - a resource-policy Principal applies to a role session when it is `*`, not a role ARN
 *     (an account, a root, a service, a wildcard…), the session itself, or the session's role
 *     (same account, same name in any case);
 *   - Conditions are ignored (they can only narrow an Allow).
 *
 * Which Allows a request needs (IAM "Policy evaluation logic", "Cross-account policy evaluation
 * logic", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html):
 * a caller from another account needs an Allow in the API's resource policy AND one in its own
 * identity policies; a caller from the API's account needs one in either. So a request is settled
 * as denied when no resource-policy Allow could apply and, for a same-account caller, no identity
 * Allow could either. Every other request is simulated as before.
 *
 * Only requests whose expected verdict is Denied are settled this way (an expected Allow is always
 * simulated, so a mismatch's verdict is iam-simulate's), `--full` simulates every case, and the
 * cross-check sample re-runs settled cases through both iam-simulate engines: any that iam-simulate
 * allows fails the run (verify/isolation.ts).
 */
import type { InvokeRequest, PreparedPolicy } from "./simulator";

type Json = Record<string, unknown>;

const ACTION = "execute-api:Invoke";

/** One Allow statement, reduced to what decides whether it could apply. */
interface AllowStatement {
  /** undefined: could apply to any resource. */
  readonly resources?: readonly RegExp[];
  /** undefined: could apply to any principal (or no Principal element: an identity policy). */
  readonly principals?: readonly string[];
}

const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** `*` → any run of characters, `?` → any one character; case-insensitive, anchored. */
function glob(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[\\s\\S]*").replace(/\?/g, "[\\s\\S]");
  return new RegExp(`^${body}$`, "i");
}

/** The Allow statements of `document` that could apply to execute-api:Invoke, generously read. */
function allowStatements(document: unknown): AllowStatement[] {
  const out: AllowStatement[] = [];
  for (const raw of list((document as Json | undefined)?.Statement)) {
    const st = raw as Json;
    if (typeof st !== "object" || st === null) {
      out.push({}); // unreadable: could apply to anything
      continue;
    }
    if (st.Effect !== "Allow") continue;
    if (st.NotAction === undefined) {
      const actions = list(st.Action);
      if (actions.every((a) => typeof a === "string" && !a.includes("${") && !glob(a).test(ACTION))) continue;
    }
    let resources: RegExp[] | undefined;
    if (st.NotResource === undefined && st.Resource !== undefined) {
      const rs = list(st.Resource);
      // "*" or a full ARN (six colon-separated parts) is matched as a glob; anything else (a short
      // ARN iam-simulate may pad with wildcards, a shorthand, a variable) could apply to anything.
      const plain = (r: unknown) => typeof r === "string" && !r.includes("${") && (r === "*" || (r.startsWith("arn:") && r.split(":").length >= 6));
      resources = rs.every(plain) ? (rs as string[]).map(glob) : undefined;
    }
    let principals: string[] | undefined;
    if (st.NotPrincipal === undefined && st.Principal !== undefined && st.Principal !== "*") {
      const p = st.Principal as Json;
      const keys = typeof p === "object" && p !== null ? Object.keys(p) : [];
      const aws = keys.length === 1 && keys[0] === "AWS" ? list(p.AWS) : undefined;
      principals = aws && aws.every((a) => typeof a === "string" && /^arn:[\w-]+:iam::\d{12}:role\/[^*?${}]+$/.test(a)) ? (aws as string[]) : undefined;
    }
    out.push({ resources, principals });
  }
  return out;
}

/** `arn:P:sts::A:assumed-role/NAME/SESSION` → `arn:P:…:A` and NAME (lower case), if it is one. */
function sessionRole(principal: string): { prefix: string; account: string; name: string } | undefined {
  const m = /^arn:([\w-]+):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/.exec(principal);
  return m ? { prefix: m[1], account: m[2], name: m[3].toLowerCase() } : undefined;
}

function principalMatches(statement: AllowStatement, principal: string): boolean {
  if (!statement.principals) return true;
  const session = sessionRole(principal);
  // Not a role session, or names beyond ASCII (iam-simulate compares role names ignoring case and
  // accents): do not reason about it.
  if (!session || !/^[\x20-\x7e]+$/.test(principal)) return true;
  return statement.principals.some((arn) => {
    if (arn.toLowerCase() === principal.toLowerCase() || !/^[\x20-\x7e]+$/.test(arn)) return true;
    const m = /^arn:([\w-]+):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(arn)!;
    return m[1] === session.prefix && m[2] === session.account && m[3].toLowerCase() === session.name;
  });
}

function resourceMatches(statement: AllowStatement, resourceArn: string): boolean {
  return !statement.resources || statement.resources.some((r) => r.test(resourceArn));
}

/**
 * Decides, for one API, whether a request is denied because no Allow could apply to it. Built once
 * per API; remembers its answers per resource ARN and principal.
 */
export class NoApplicableAllow {
  private readonly resourcePolicy: readonly AllowStatement[];
  private readonly identity = new Map<PreparedPolicy, { readonly id: number; readonly statements: readonly AllowStatement[] }>();
  private readonly memo = new Map<string, boolean>();

  constructor(resourcePolicy: PreparedPolicy) {
    this.resourcePolicy = allowStatements(resourcePolicy.document);
  }

  /** True when no Allow statement could apply to `req` (so IAM denies it); false when one might. */
  settlesAsDenied(req: InvokeRequest, identityPolicies: readonly PreparedPolicy[]): boolean {
    // As iam-simulate decides it: the principal ARN's account against the resource's.
    const principalAccount = req.principal.startsWith("arn:") ? req.principal.split(":")[4] : undefined;
    const crossAccount = !!principalAccount && /^\d{12}$/.test(principalAccount) && /^\d{12}$/.test(req.resourceAccount) && principalAccount !== req.resourceAccount;
    const resourceAllow = this.couldAllow(this.resourcePolicy, "resource", req.principal, req.resourceArn);
    if (resourceAllow && !crossAccount) return false;
    const identityAllow = identityPolicies.some((p) => {
      const { id, statements } = this.identityStatements(p);
      return this.couldAllow(statements, `identity ${id}`, req.principal, req.resourceArn);
    });
    // Cross-account: both are needed, so either missing denies. Same account: either suffices.
    return crossAccount ? !(resourceAllow && identityAllow) : !identityAllow;
  }

  private identityStatements(policy: PreparedPolicy) {
    let entry = this.identity.get(policy);
    if (!entry) {
      // An identity policy has no Principal: it applies to whoever holds it.
      entry = { id: this.identity.size, statements: allowStatements(policy.document).map((s) => ({ resources: s.resources })) };
      this.identity.set(policy, entry);
    }
    return entry;
  }

  private couldAllow(statements: readonly AllowStatement[], which: string, principal: string, resourceArn: string): boolean {
    const key = `${which}\n${principal}\n${resourceArn}`;
    let answer = this.memo.get(key);
    if (answer === undefined) {
      answer = statements.some((s) => principalMatches(s, principal) && resourceMatches(s, resourceArn));
      this.memo.set(key, answer);
    }
    return answer;
  }
}
