/**
 * Fields of an application/x-www-form-urlencoded body, decoded only when asked for. Routing
 * reads a handful of names; decoding every field of a 10 KB SAML post up front (URLSearchParams)
 * cost about a third of a routing decision. Same rules as URLSearchParams: `+` is a space, a
 * malformed percent escape is kept as it is, the first field of a name wins.
 */
export type Fields = { get(name: string): string | null };

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
  };
}

function find(body: string, name: string): string | null {
  let start = 0;
  while (start <= body.length) {
    let end = body.indexOf("&", start);
    if (end === -1) end = body.length;
    const eq = body.indexOf("=", start);
    const keyEnd = eq !== -1 && eq < end ? eq : end;
    if (keyEnd - start >= name.length && decode(body.slice(start, keyEnd)) === name) {
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
