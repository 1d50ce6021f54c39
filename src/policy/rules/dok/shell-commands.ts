/**
 * Reading the simple commands of a POSIX shell script, enough to find the `kubectl` and `curl` calls of a Job's
 * script: quotes, `$(...)` and backquote substitutions (their commands are read too), here-documents (kept as the
 * command's input, not run), comments, `;`, `&&`, `||`, `|`, newlines, subshells and function bodies. Words keep
 * expansions as written (`$sts`, `${pair%=*}`, `$(cat f)`): a word with `$` or a backquote in it is not known at
 * synth time. Text inside quotes is never a command (`echo "run kubectl delete pvc x"` runs echo).
 */
export interface ShellCommand {
  /** The words, keywords (`if`, `do`, `{`...) and leading assignments removed. */
  readonly words: string[];
  /** `NAME=value` assignments written before the command (or alone). */
  readonly assignments: string[];
  /** The here-documents given to the command, joined. */
  heredoc?: string;
  /** The command piped into this one (`cat <<EOF | kubectl apply -f -`). */
  input?: ShellCommand;
}

const KEYWORDS = new Set(['if', 'then', 'else', 'elif', 'fi', 'do', 'done', 'while', 'until', 'for', 'case', 'esac', '{', '}', '!', 'time', 'function']);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/** Every simple command of `script`, substitutions' commands included; never throws. */
export function shellCommands(script: string): ShellCommand[] {
  const lexer = new Lexer(script);
  try {
    lexer.list(0, false);
  } catch {
    // An unreadable script (unbalanced quotes): the commands read so far.
  }
  return lexer.commands;
}

/** Whether a word holds an expansion whose value is only known at run time. */
export function isExpanded(word: string): boolean {
  return word.includes('$') || word.includes('`');
}

class Lexer {
  public readonly commands: ShellCommand[] = [];
  private pendingHeredocs: { delimiter: string; stripTabs: boolean; command: ShellCommand }[] = [];

  constructor(private readonly s: string) {}

  /** Reads commands from `i` to the end, or to the `)` closing a substitution when `nested`; the index after it. */
  public list(start: number, nested: boolean): number {
    const s = this.s;
    let raw: string[] = [];
    let command: ShellCommand = { words: [], assignments: [] };
    let word = '';
    let inWord = false;
    let dropNextWord = false;
    let parens = 0;
    const endWord = () => {
      if (inWord) {
        if (dropNextWord) dropNextWord = false;
        else raw.push(word);
      }
      word = '';
      inWord = false;
    };
    let pipedFrom: ShellCommand | undefined;
    const endCommand = (pipe = false) => {
      endWord();
      dropNextWord = false;
      if (pipedFrom) command.input = pipedFrom;
      pipedFrom = pipe ? command : undefined;
      const words = [...raw];
      while (words.length && (KEYWORDS.has(words[0]) || ASSIGNMENT.test(words[0]))) {
        const w = words.shift()!;
        if (ASSIGNMENT.test(w)) command.assignments.push(w);
      }
      command.words.push(...words);
      if (command.words.length || command.assignments.length || command.heredoc !== undefined) this.commands.push(command);
      raw = [];
      command = { words: [], assignments: [] };
    };
    let i = start;
    while (i < s.length) {
      const c = s[i];
      if (c === '\\') {
        if (s[i + 1] !== '\n') { word += s[i + 1] ?? ''; inWord = true; }
        i += 2;
      } else if (c === "'") {
        const end = s.indexOf("'", i + 1);
        if (end < 0) throw new Error('unterminated quote');
        word += s.slice(i + 1, end);
        inWord = true;
        i = end + 1;
      } else if (c === '"') {
        i = this.doubleQuoted(i + 1, (text) => { word += text; });
        inWord = true;
      } else if (c === '$' && s[i + 1] === '(') {
        const end = s[i + 2] === '(' ? this.skipBalanced(i + 1) : this.list(i + 2, true);
        word += s.slice(i, end);
        inWord = true;
        i = end;
      } else if (c === '$' && s[i + 1] === '{') {
        const end = s.indexOf('}', i);
        if (end < 0) throw new Error('unterminated parameter expansion');
        word += s.slice(i, end + 1);
        inWord = true;
        i = end + 1;
      } else if (c === '`') {
        const end = this.backquoted(i + 1);
        word += s.slice(i, end);
        inWord = true;
        i = end;
      } else if (c === '#' && !inWord) {
        while (i < s.length && s[i] !== '\n') i++;
      } else if (c === ' ' || c === '\t' || c === '\r') {
        endWord();
        i++;
      } else if (c === '\n') {
        endCommand();
        i = this.readHeredocs(i + 1);
      } else if (c === ';' || c === '&' || c === '|') {
        if (c === '&' && s[i + 1] === '>') { // &> file
          endWord(); dropNextWord = true; i += s[i + 2] === '>' ? 3 : 2;
          continue;
        }
        endCommand(c === '|' && s[i + 1] !== '|');
        i += s[i + 1] === c ? 2 : 1;
      } else if (c === '(') {
        endCommand();
        parens++;
        i++;
      } else if (c === ')') {
        endCommand();
        i++;
        if (parens > 0) parens--;
        else if (nested) return i;
      } else if (c === '<' || c === '>') {
        if (inWord && /^\d+$/.test(word)) { word = ''; inWord = false; } // 2>file: the descriptor is no word
        endWord();
        if (c === '<' && s[i + 1] === '<' && s[i + 2] !== '<') {
          i = this.heredocOperator(i + 2, command);
          continue;
        }
        i++;
        while (s[i] === '<' || s[i] === '>' || s[i] === '|') i++;
        if (s[i] === '&') { // >&2, <&0: no target word
          i++;
          while (/[0-9-]/.test(s[i] ?? '')) i++;
        } else {
          dropNextWord = true;
        }
      } else {
        word += c;
        inWord = true;
        i++;
      }
    }
    if (nested) throw new Error('unterminated substitution');
    endCommand();
    return i;
  }

  /** A double-quoted string from `i` (after the quote): its text to `add`, substitutions read; the index after it. */
  private doubleQuoted(start: number, add: (text: string) => void): number {
    const s = this.s;
    let i = start;
    while (i < s.length && s[i] !== '"') {
      if (s[i] === '\\' && i + 1 < s.length) {
        add('$`"\\\n'.includes(s[i + 1]) ? (s[i + 1] === '\n' ? '' : s[i + 1]) : s.slice(i, i + 2));
        i += 2;
      } else if (s[i] === '$' && s[i + 1] === '(') {
        const end = s[i + 2] === '(' ? this.skipBalanced(i + 1) : this.list(i + 2, true);
        add(s.slice(i, end));
        i = end;
      } else if (s[i] === '`') {
        const end = this.backquoted(i + 1);
        add(s.slice(i, end));
        i = end;
      } else {
        add(s[i]);
        i++;
      }
    }
    if (i >= s.length) throw new Error('unterminated double quote');
    return i + 1;
  }

  /** A backquoted substitution from `i` (after the backquote): its commands read; the index after the closing one. */
  private backquoted(start: number): number {
    let i = start;
    while (i < this.s.length && this.s[i] !== '`') i += this.s[i] === '\\' ? 2 : 1;
    if (i >= this.s.length) throw new Error('unterminated backquote');
    const inner = new Lexer(this.s.slice(start, i).replace(/\\([`$\\])/g, '$1'));
    inner.list(0, false);
    this.commands.push(...inner.commands);
    return i + 1;
  }

  /** `$((...))` arithmetic: from the first `(`, the index after the balancing `)`. */
  private skipBalanced(start: number): number {
    let depth = 0;
    for (let i = start; i < this.s.length; i++) {
      if (this.s[i] === '(') depth++;
      else if (this.s[i] === ')' && --depth === 0) return i + 1;
    }
    throw new Error('unterminated arithmetic');
  }

  /** After `<<`: `-`, the delimiter word (quotes removed); the body is read at the next newline. */
  private heredocOperator(start: number, command: ShellCommand): number {
    const s = this.s;
    let i = start;
    const stripTabs = s[i] === '-';
    if (stripTabs) i++;
    while (s[i] === ' ' || s[i] === '\t') i++;
    let delimiter = '';
    while (i < s.length && !/[\s;&|<>()]/.test(s[i])) {
      if (s[i] !== '"' && s[i] !== "'" && s[i] !== '\\') delimiter += s[i];
      i++;
    }
    this.pendingHeredocs.push({ delimiter, stripTabs, command });
    return i;
  }

  /** The bodies of the here-documents opened on the line that just ended; the index after the last delimiter line. */
  private readHeredocs(start: number): number {
    let i = start;
    for (const h of this.pendingHeredocs) {
      const lines: string[] = [];
      while (i < this.s.length) {
        const eol = this.s.indexOf('\n', i);
        const end = eol < 0 ? this.s.length : eol;
        const line = h.stripTabs ? this.s.slice(i, end).replace(/^\t+/, '') : this.s.slice(i, end);
        i = end + 1;
        if (line === h.delimiter) break;
        lines.push(line);
      }
      h.command.heredoc = (h.command.heredoc ? `${h.command.heredoc}\n---\n` : '') + lines.join('\n');
    }
    this.pendingHeredocs = [];
    return Math.min(i, this.s.length);
  }
}
