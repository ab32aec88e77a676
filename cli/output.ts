/** Columns padded to their widest cell, two spaces apart: what `orgs list` and `events` print on a terminal. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd();
  return [line(headers), ...rows.map(line)];
}

/** `key: value` lines, keys aligned. */
export function fields(pairs: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...pairs.map(([k]) => k.length)) + 1;
  return pairs.map(([k, v]) => `${`${k}:`.padEnd(width)} ${v}`);
}

/** A value for a table cell: newlines and tabs would break the row. */
export const cell = (value: unknown): string => (value === null || value === undefined ? "-" : String(value).replace(/\s+/g, " "));
