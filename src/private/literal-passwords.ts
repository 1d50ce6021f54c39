/**
 * Finds passwords written into a script as literals, for the props whose text lands in a ConfigMap (`initScripts`).
 * A value the script reads when it runs is not a literal: psql's `:'var'` (not quoted, so never matched), and in a
 * shell script anything starting with `$` (`"$APP_PASSWORD"`, `'${PW}'`, `"$(cat /secrets/pw)"`), which the shell
 * expands; in JavaScript, a template literal starting with `${`. An empty string sets no password.
 */

/**
 * Names of settings and env vars that hold a secret: their values must come from a Secret, never the YAML.
 * `pwd` only as the last word after `_` (`MYSQL_PWD`): `PWD` alone is the shell's working directory.
 */
export const SECRET_NAME_HINT = /(pass(word|wd)?|secret|token|credential|api[-_]?key|private[-_]?key|_pwd$)/i;

/** A quoted literal: SQL `'...'` (with `''` inside) and `E'...'`, `"..."`, JavaScript's `` `...` ``. */
const QUOTED = "(E?'(?:[^']|'')*'|\"[^\"]*\"|`[^`]*`)";
const QUOTED_OR_WORD = `(${QUOTED.slice(1, -1)}|[^\\s'"\`;]+)`;

/** Statements and settings that set a password, each with the literal as its last group. */
const FORMS: RegExp[] = [
  // PostgreSQL and CQL roles (`CREATE ROLE app LOGIN PASSWORD '...'`, `ALTER ROLE app WITH PASSWORD = '...'`),
  // PostgreSQL user mappings (`OPTIONS (user 'u', password '...')`).
  new RegExp(`\\b(?:CREATE|ALTER)\\s+(?:ROLE|USER)\\b[^;]*?\\bPASSWORD\\s*=?\\s*${QUOTED}`, 'gi'),
  // MySQL accounts: `IDENTIFIED BY '...'`, `IDENTIFIED WITH caching_sha2_password BY '...'`, `AS '<hash>'`.
  new RegExp(`\\bIDENTIFIED\\s+(?:WITH\\s+\\S+\\s+)?(?:BY|AS)\\s+(?:PASSWORD\\s*\\(\\s*)?${QUOTED}`, 'gi'),
  // MySQL `SET PASSWORD [FOR user] = '...'`, at the start of a statement (not `UPDATE t SET password = ...`).
  new RegExp(`(?:^|[;"'])\\s*SET\\s+PASSWORD\\b[^;=]*=\\s*(?:PASSWORD\\s*\\(\\s*)?${QUOTED}`, 'gim'),
  // MySQL replication: `SOURCE_PASSWORD = '...'`, `START GROUP_REPLICATION USER = 'r', PASSWORD = '...'`.
  new RegExp(`\\b(?:SOURCE|MASTER)_PASSWORD\\s*=\\s*${QUOTED}`, 'gi'),
  new RegExp(`\\bGROUP_REPLICATION\\b[^;]*?\\bPASSWORD\\s*=\\s*${QUOTED}`, 'gi'),
  // MongoDB: `createUser({ user, pwd: '...' })`, `updateUser(..., { pwd: '...' })`, `changeUserPassword(user, '...')`,
  // `db.auth(user, '...')`.
  new RegExp(`(?:\\bpwd|["']pwd["'])\\s*:\\s*${QUOTED}`, 'gi'),
  new RegExp(`\\bchangeUserPassword\\s*\\(\\s*[^,]+,\\s*${QUOTED}`, 'gi'),
  new RegExp(`\\.auth\\s*\\(\\s*(?:'[^']*'|"[^"]*")\\s*,\\s*${QUOTED}`, 'gi'),
  // Redis/Valkey: `requirepass ...`, `masterauth ...`, ACL passwords (`ACL SETUSER app on >...`, `user app on >...`),
  // `redis-cli -a ...`.
  new RegExp(`\\b(?:requirepass|masterauth)\\s+${QUOTED_OR_WORD}`, 'gi'),
  /(?:\bACL\s+SETUSER|^\s*user)\s+\S+[^\n]*?\s['"]?>([^\s'"]+)/gim,
  new RegExp(`\\bredis-cli\\b[^\\n]*?\\s(?:-a|--pass)\\s+${QUOTED_OR_WORD}`, 'gi'),
  // psql variables named for a password: `\set pw '...'`, `psql -v pw=...`.
  new RegExp(`(?:\\\\set\\s+[A-Za-z0-9_]*(?:pass|pw|pwd|secret)[A-Za-z0-9_]*\\s+|-v\\s*[A-Za-z0-9_]*(?:pass|pw|pwd|secret)[A-Za-z0-9_]*=)${QUOTED_OR_WORD}`, 'gi'),
  // Command-line options and connection strings: `--password=...`, `'host=db user=u password=...'`.
  new RegExp(`--password[=\\s]\\s*${QUOTED_OR_WORD}`, 'gi'),
  /\b(?:host|hostaddr|user|dbname|port)=\S+[^'"\n]*?\bpassword=([^\s'"]+)/gi,
];

/** Shell variables holding a password: `PGPASSWORD=...`, `export ADMIN_PASSWORD=...`, `MYSQL_PWD=...` (shell scripts only). */
const SHELL_ASSIGNMENT = new RegExp(`(?:^|[\\s;])(?:export\\s+)?[A-Za-z0-9_]*(?:PASSWORD|PASSWD|_PWD|_AUTH)=${QUOTED_OR_WORD}`, 'gm');

/** The script's text without the quotes around the literal. */
function unquote(token: string): string {
  const m = /^E?(['"`])([\s\S]*)\1$/.exec(token);
  return m ? m[2] : token;
}

/** Whether the value is read when the script runs rather than written in it. */
function isReference(token: string, shell: boolean): boolean {
  const value = unquote(token);
  if (value === '') return true;
  if (token.startsWith('`') && value.startsWith('${')) return true;
  return shell && value.startsWith('$');
}

/**
 * The first place `script` (the file `fileName`) sets a literal password, as the text that does it with the password
 * masked (`CREATE ROLE app LOGIN PASSWORD '***'`), or undefined.
 */
export function literalPasswordIn(fileName: string, script: string): string | undefined {
  const shell = /\.(sh|bash)$/i.test(fileName);
  for (const form of shell ? [...FORMS, SHELL_ASSIGNMENT] : FORMS) {
    for (const match of script.matchAll(form)) {
      const token = match[match.length - 1];
      if (isReference(token, shell)) continue;
      const text = match[0].trim();
      const at = text.lastIndexOf(token);
      const quote = /^E?(['"`])/.exec(token)?.[1] ?? '';
      const masked = `${text.slice(0, at)}${quote}***${quote}`.replace(/\s+/g, ' ');
      return masked.length > 80 ? `...${masked.slice(-77)}` : masked;
    }
  }
  return undefined;
}
