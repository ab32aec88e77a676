/**
 * Fields of an application/x-www-form-urlencoded body, decoded only when asked for. Routing
 * reads a handful of names; decoding every field of a 10 KB SAML post up front (URLSearchParams)
 * cost about a third of a routing decision. Same rules as URLSearchParams: `+` is a space, a
 * malformed percent escape is kept as it is, the first field of a name wins.
 */
export type Fields = {
  get(name: string): string | null;
  /** Whether `name` appears more than once (a SAML message twice is ambiguous: providers may read the last). */
  repeated?(name: string): boolean;
};

export function formFields(body: string): Fields {
  const cache = new Map<string, string | null>();
  return {
    get(name) {
      let value = cache.get(name);
      if (value === undefined) {
        value = find(body, name);
        cache.set(name, value);
      }
      return value;
    },
    repeated(name) {
      return find(body, name, 2) !== null;
    },
  };
}

/** The `occurrence`-th field named `name` (1: the first), or null. */
function find(body: string, name: string, occurrence = 1): string | null {
  let start = 0;
  let seen = 0;
  while (start <= body.length) {
    let end = body.indexOf("&", start);
    if (end === -1) end = body.length;
    const eq = body.indexOf("=", start);
    const keyEnd = eq !== -1 && eq < end ? eq : end;
    if (keyEnd - start >= name.length && decode(body.slice(start, keyEnd)) === name && ++seen === occurrence) {
      return keyEnd === end ? "" : decode(body.slice(keyEnd + 1, end));
    }
    start = end + 1;
  }
  return null;
}

function decode(text: string): string {
  const spaced = text.includes("+") ? text.replaceAll("+", " ") : text;
  if (!spaced.includes("%")) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced.replace(/(%[0-9a-fA-F]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
}
