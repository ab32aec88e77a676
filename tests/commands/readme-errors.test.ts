import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { ERROR_CODES } from "../../shared/errors.ts";
import { statusOf } from "../../services/http/problem.ts";

/** The README's error table: `| \`code\` | status | from | when |` rows. */
function readmeErrorTable(): Map<string, number> {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const rows = new Map<string, number>();
  for (const match of readme.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)) {
    expect(rows.has(match[1]!)).toBe(false);
    rows.set(match[1]!, Number(match[2]));
  }
  return rows;
}

describe("the README's error table cannot drift from the code", () => {
  const table = readmeErrorTable();
  test("lists every code in ERROR_CODES, with the status services/http/problem.ts gives it", () => {
    const missing = ERROR_CODES.filter((code) => !table.has(code));
    expect(missing).toEqual([]);
    const wrong = ERROR_CODES.filter((code) => table.get(code) !== statusOf(code)).map((code) => `${code}: README ${table.get(code)}, code ${statusOf(code)}`);
    expect(wrong).toEqual([]);
  });
  test("lists no code the services cannot answer", () => {
    const known = new Set<string>(ERROR_CODES);
    expect([...table.keys()].filter((code) => !known.has(code))).toEqual([]);
  });
});
