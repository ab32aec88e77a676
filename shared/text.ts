/**
 * Free text that ends up in the event log (names, reasons, the actor's `sub`) must be storable
 * in PostgreSQL jsonb, which refuses NUL and unpaired surrogates, and readable in an audit
 * log. These say why a value is not, in plain words, or return null.
 */

const CONTROL = /[\p{Cc}]/u;
const CONTROL_EXCEPT_LINES = /[^\P{Cc}\t\n\r]/u;
const SURROGATE = /[\p{Cs}]/u;
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}]/u;

export type TextRules = { max: number; multiline?: boolean };

/** Why `value` is not acceptable free text under `rules`, or null. */
export function textFault(value: string, rules: TextRules): string | null {
  if (value.length > rules.max) return `must be at most ${rules.max} characters`;
  if ((rules.multiline ? CONTROL_EXCEPT_LINES : CONTROL).test(value)) {
    return rules.multiline ? "must not contain control characters other than tab and line breaks" : "must not contain control characters";
  }
  if (SURROGATE.test(value)) return "must be valid Unicode (it contains an unpaired surrogate)";
  return null;
}

export const MAX_SUBJECT = 255;

/**
 * Why a token's `sub` cannot name an actor, or null. It is the actor of every event its token
 * causes, so besides being storable it must show as what it is: no invisible characters.
 */
export function subjectFault(sub: string): string | null {
  const fault = textFault(sub, { max: MAX_SUBJECT });
  if (fault) return fault;
  if (INVISIBLE.test(sub)) return "must not contain invisible characters (zero-width or bidi controls)";
  return null;
}
