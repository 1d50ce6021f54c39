/**
 * Quoting for the scripts the library generates. Every value that reaches a script (a prop, a name, a path) goes
 * through one of these, even where it was validated first: what a validation misses must still be inert data.
 * For a valid name each gives the text a hand-written script would hold, so only hostile values change a script.
 */

/** Characters no shell gives a meaning to in a word (as Python's shlex.quote): such a word needs no quotes. */
const PLAIN_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** A literal for sh and bash in single quotes, each inner one closed, escaped and reopened (`'\''`). */
export function shellQuote(value: string | number): string {
  return `'${String(value).replace(/'/g, "'\\''")}'`;
}

/** One shell word that reads back as exactly `value`: a plain word as it is, anything else single-quoted. */
export function shellWord(value: string | number): string {
  const text = String(value);
  return PLAIN_WORD.test(text) ? text : shellQuote(text);
}

/** Several words, space-separated (e.g. a list for `for X in ...`). */
export function shellWords(values: ReadonlyArray<string | number>): string {
  return values.map(shellWord).join(' ');
}

/** `NAME=value`: a shell variable assignment, so the script refers to "$NAME" and never to the text itself. */
export function shellAssign(name: string, value: string | number): string {
  return `${name}=${shellWord(value)}`;
}

/** Text inside a double-quoted shell string, where only `\`, `$`, backquotes and `"` mean something: escaped. */
export function inDoubleQuotes(value: string | number): string {
  return String(value).replace(/[\\$`"]/g, '\\$&');
}

/** Text inside an unquoted here-document, where only `\`, `$` and backquotes mean something: escaped. */
export function heredocText(value: string): string {
  return value.replace(/[\\$`]/g, '\\$&');
}

/** A value matched literally inside a POSIX extended regular expression (grep -E). */
export function ereLiteral(value: string): string {
  return value.replace(/[\\^$.|?*+()[\]{}/]/g, '\\$&');
}

/** A value matched literally inside a POSIX basic regular expression (sed, with '/' as delimiter). */
export function breLiteral(value: string): string {
  return value.replace(/[\\^$.*[\]/]/g, '\\$&');
}

/** A CQL string constant: single quotes, an inner one doubled (CQL has no backslash escapes). */
export function cqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
