import { DomainError } from "./errors.ts";

/** How many tags one organization carries at most. */
export const MAX_TAGS = 32;
const MAX_TAG = 64;
/**
 * A tag is a free-form label (`beta`) or a `key:value` pair (`tier:enterprise`, `region:eu`):
 * lower-case letters, digits, `.`, `_`, `-`, each part starting with a letter or digit. Lower-case
 * only, refused rather than folded, so the tag an operator selects a wave by is the tag stored.
 */
const TAG = /^[a-z0-9][a-z0-9._-]*(?::[a-z0-9][a-z0-9._-]*)?$/;

/** Throws `invalid_tag` unless `tag` is a tag; returns it. */
export function checkTag(tag: unknown): string {
  if (typeof tag !== "string" || tag.length > MAX_TAG || !TAG.test(tag)) {
    const shown = typeof tag === "string" ? JSON.stringify(tag.slice(0, MAX_TAG)) : "a tag";
    throw new DomainError(
      "invalid_tag",
      `${shown} is not a tag: 1-${MAX_TAG} lower-case letters, digits, '.', '_' or '-', optionally key:value (tier:enterprise)`,
    );
  }
  return tag;
}

/** Checks a set of tags (each valid, none twice, at most MAX_TAGS) and returns it sorted. */
export function checkTags(tags: readonly unknown[]): string[] {
  if (tags.length > MAX_TAGS) throw new DomainError("invalid_tag", `an organization carries at most ${MAX_TAGS} tags`);
  const checked = tags.map(checkTag);
  const duplicate = checked.find((t, i) => checked.indexOf(t) !== i);
  if (duplicate !== undefined) throw new DomainError("invalid_tag", `tag ${duplicate} is listed twice`);
  return [...checked].sort();
}

export const sameTags = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((t, i) => t === b[i]);
