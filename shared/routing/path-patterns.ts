/**
 * A compiled set of path patterns: exact paths in a Set, `:connection` patterns as
 * (prefix, suffix) pairs, `/*` patterns as prefixes. Matching costs a Set lookup plus one
 * comparison per pattern.
 */
export type PathMatcher = { match(path: string): { connection: string | null } | null };

const SEGMENT = /^[^/]+$/;

export function compilePaths(patterns: Iterable<string>): PathMatcher {
  const exact = new Set<string>();
  const withConnection: { prefix: string; suffix: string }[] = [];
  const under: string[] = [];
  for (const pattern of new Set(patterns)) {
    const at = pattern.indexOf(":connection");
    if (pattern.endsWith("/*")) under.push(pattern.slice(0, -1));
    else if (at === -1) exact.add(pattern);
    else withConnection.push({ prefix: pattern.slice(0, at), suffix: pattern.slice(at + ":connection".length) });
  }
  return {
    match(path) {
      if (exact.has(path)) return { connection: null };
      for (const { prefix, suffix } of withConnection) {
        if (path.length > prefix.length + suffix.length && path.startsWith(prefix) && path.endsWith(suffix)) {
          const segment = path.slice(prefix.length, path.length - suffix.length);
          if (SEGMENT.test(segment)) return { connection: safeDecode(segment) };
        }
      }
      for (const prefix of under) if (path.length > prefix.length && path.startsWith(prefix)) return { connection: null };
      return null;
    },
  };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
