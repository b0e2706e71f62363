/**
 * Tags in module mode. A module has no provider block, hence no provider `default_tags`; this
 * Aspect gives every taggable resource what its stack's provider default_tags gave it:
 *
 *   locals {
 *     default_tags = <the provider's default_tags>   # proxy stacks: merge(var.extra_tags, <fleet tags>, <farcar:* tags>)
 *     farcar_tags  = { for k, v in local.default_tags : k => v if startswith(k, "farcar:") }
 *   }
 *   tags = merge(local.default_tags, <the resource's own tags>, local.farcar_tags)
 *
 * so the precedence is extra_tags < fleet tags < the resource's own tags < farcar:* tags, and
 * `extra_tags` keeps working when the stack is consumed as a module.
 *
 * "Taggable" is read from the provider bindings: a resource whose class has a `tags` setter (the
 * bindings are generated from the provider schema, so that is exactly the resources whose schema
 * has a `tags` argument — the ones provider default_tags apply to). Resources of the stack's
 * default provider only; a resource on an aliased provider is reported (not supported yet).
 */
import { Fn, TerraformLocal, TerraformProvider, TerraformResource, TerraformStack, Token, type IAspect } from "cdktf";
import type { IConstruct } from "constructs";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { problems, type ModuleExportProblem } from "./errors";

export const DEFAULT_TAGS_LOCAL = "default_tags";
export const FARCAR_TAGS_LOCAL = "farcar_tags";
export const FARCAR_TAG_PREFIX = "farcar:";

type TagMap = Record<string, string>;

interface TaggableResource extends TerraformResource {
  tags: TagMap;
  readonly tagsInput?: TagMap;
}

/** True when the resource's binding class has a `tags` setter (its schema has a `tags` argument). */
export function isTaggable(node: IConstruct): node is TaggableResource {
  if (!TerraformResource.isTerraformResource(node)) return false;
  for (let proto = Object.getPrototypeOf(node); proto && proto !== TerraformResource.prototype; proto = Object.getPrototypeOf(proto)) {
    const tags = Object.getOwnPropertyDescriptor(proto, "tags");
    if (tags) return typeof tags.set === "function" && "tagsInput" in node;
  }
  return false;
}

interface StackTagLocals {
  readonly defaultTags: TagMap;
  readonly farcarTags: TagMap;
}

export class ModuleTagsAspect implements IAspect {
  /** Problems found while visiting (reported by the exporter with every other problem). */
  public readonly problems: ModuleExportProblem[] = [];
  private readonly locals = new Map<TerraformStack, StackTagLocals | null>();

  public visit(node: IConstruct): void {
    if (!isTaggable(node)) return;
    if (node.terraformGeneratorMetadata?.providerName !== "aws") return;
    const stack = TerraformStack.of(node);
    if (node.provider && aliasOf(node.provider)) {
      this.problems.push(problems.taggedThroughAliasedProvider(stack.node.id, `${node.terraformResourceType}.${node.friendlyUniqueId}`));
      return;
    }
    const locals = this.localsOf(stack);
    if (!locals) return; // the provider sets no default tags: nothing to carry over
    const own = node.tagsInput;
    node.tags =
      own === undefined || (!Token.isUnresolved(own) && Object.keys(own).length === 0)
        ? locals.defaultTags
        : Token.asStringMap(Fn.merge([locals.defaultTags, own, locals.farcarTags]));
  }

  /** The tag locals of `stack`, created on first use; null when its provider has no default tags. */
  private localsOf(stack: TerraformStack): StackTagLocals | null {
    if (this.locals.has(stack)) return this.locals.get(stack)!;
    const provider = stack.node.children.find((c): c is AwsProvider => c instanceof AwsProvider && !aliasOf(c));
    const defaults = provider?.defaultTags;
    if (defaults !== undefined && !Array.isArray(defaults)) {
      this.problems.push(problems.unreadableDefaultTags(stack.node.id));
    }
    const tags = Array.isArray(defaults) ? defaults[0]?.tags : undefined;
    let result: StackTagLocals | null = null;
    if (tags !== undefined) {
      const defaultTags = new TerraformLocal(stack, "farcar-module-default-tags", tags);
      defaultTags.overrideLogicalId(DEFAULT_TAGS_LOCAL);
      const farcarTags = new TerraformLocal(
        stack,
        "farcar-module-farcar-tags",
        `\${{ for k, v in local.${DEFAULT_TAGS_LOCAL} : k => v if startswith(k, "${FARCAR_TAG_PREFIX}") }}`,
      );
      farcarTags.overrideLogicalId(FARCAR_TAGS_LOCAL);
      result = { defaultTags: defaultTags.asStringMap, farcarTags: farcarTags.asStringMap };
    }
    this.locals.set(stack, result);
    return result;
  }
}

function aliasOf(provider: TerraformProvider): string | undefined {
  return (provider as TerraformProvider & { alias?: string }).alias;
}
