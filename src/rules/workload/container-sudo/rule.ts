import { defineRule } from '../../../engine/rule.js';
import { asArray, asObject } from '../../../k8s/object.js';
import type { JsonObject, Path } from '../../../types.js';
import { containerLabel } from '../../image/common.js';

/** Commands that make a user root through a setuid binary and a policy file (sudoers, doas.conf). */
const ELEVATORS: ReadonlySet<string> = new Set(['sudo', 'doas']);
/** Shells whose `-c` argument is a script to read for commands. */
const SHELLS: ReadonlySet<string> = new Set(['sh', 'bash', 'ash', 'dash', 'zsh', 'ksh', 'mksh']);
/** Shell words after which the next word is a command. */
const KEYWORDS: ReadonlySet<string> = new Set(['then', 'do', 'else', 'elif', 'if', 'while', 'until', '!', '{', 'exec', 'command', 'builtin', 'nohup', 'time']);
/** Commands (and init processes) that run their arguments as a command, after options (and a duration or niceness). */
const WRAPPERS: ReadonlySet<string> = new Set(['env', 'nice', 'timeout', 'xargs', 'stdbuf', 'tini', 'dumb-init']);
/** Short options of sudo and doas that take an argument (`-u USER`, `-uUSER`, `-Eu USER`), `u` naming the user. */
const ARGUMENT_FLAGS = 'aCDghpRrTtUu';
/** Long options of sudo that take a separate argument (`--user` is read apart). */
const LONG_ARGUMENT = /^--(?:group|close-from|chdir|host|prompt|role|type|command-timeout|other-user)$/;
const ROOT_USERS: ReadonlySet<string> = new Set(['root', '0', '#0']);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;
const OPTION_OR_NUMBER = /^(?:-|\d)/;
/** Options of the wrappers that take the next word as their argument (`env -u HOME`, `timeout -s KILL`). */
const WRAPPER_ARGUMENT: ReadonlySet<string> = new Set(['-u', '--unset', '-C', '--chdir', '-s', '--signal', '-k', '--kill-after', '-n', '--adjustment', '-I', '-P', '-d', '-a', '-E', '-L']);
/** The exec hooks and probes whose `command` runs in the container, besides its entrypoint. */
const HOOKS: readonly (readonly string[])[] = [
  ['lifecycle', 'postStart', 'exec', 'command'],
  ['lifecycle', 'preStop', 'exec', 'command'],
  ['livenessProbe', 'exec', 'command'],
  ['readinessProbe', 'exec', 'command'],
  ['startupProbe', 'exec', 'command'],
];

function basename(word: string): string {
  return word.slice(word.lastIndexOf('/') + 1);
}

/** A simple command of a shell script: its words, and the body of the here-document on its standard input. */
interface ShellCommand {
  words: string[];
  stdin?: string;
  /** The command its output is piped to (`cat <<EOF | sh`). */
  pipe?: ShellCommand;
}

/** A here-document whose body starts after the current line: `<<WORD`, or `<<-WORD` (`strip`: leading tabs). */
interface HereDocument {
  delimiter: string;
  strip: boolean;
  /** The command whose standard input it is; undefined when it feeds another descriptor (`3<<EOF`). */
  owner: ShellCommand | undefined;
}

/**
 * When the line from `start` to `lineEnd` is the delimiter of `doc`, the index after its newline;
 * otherwise -1.
 */
function delimiterEnd(script: string, start: number, lineEnd: number, doc: HereDocument): number {
  let from = start;
  if (doc.strip) while (from < lineEnd && script.charAt(from) === '\t') from++;
  // A script written with CRLF line ends ends its delimiter line with a carriage return.
  const to = lineEnd > from && script.charAt(lineEnd - 1) === '\r' ? lineEnd - 1 : lineEnd;
  return to - from === doc.delimiter.length && script.startsWith(doc.delimiter, from) ? lineEnd + 1 : -1;
}

/**
 * Reads the bodies of `docs`, one after the other from `start` (the line after their operators):
 * each runs to the line that is exactly its delimiter, or to the end of the script. A body on a
 * command's standard input becomes its `stdin`. Returns where the script goes on.
 */
function readBodies(script: string, start: number, docs: readonly HereDocument[]): number {
  let at = start;
  for (const doc of docs) {
    const bodyStart = at;
    let bodyEnd = script.length;
    while (at < script.length) {
      const newline = script.indexOf('\n', at);
      const lineEnd = newline < 0 ? script.length : newline;
      const after = delimiterEnd(script, at, lineEnd, doc);
      if (after >= 0) {
        bodyEnd = at;
        at = after;
        break;
      }
      at = lineEnd + 1;
    }
    if (doc.owner !== undefined) doc.owner.stdin = script.slice(bodyStart, bodyEnd);
  }
  return at;
}

/** For each `(` of a script, the index of the `)` that closes it, or -1 (one pass; quotes are not told apart). */
function closingParens(script: string): Int32Array {
  const close = new Int32Array(script.length).fill(-1);
  const open: number[] = [];
  for (let i = 0; i < script.length; i++) {
    const c = script.charCodeAt(i);
    if (c === 40 /* ( */) open.push(i);
    else if (c === 41 /* ) */) {
      const at = open.pop();
      if (at !== undefined) close[at] = i;
    }
  }
  return close;
}

/**
 * The index after the `))` of the arithmetic `((` at `open`, or -1 when the two parentheses do
 * not close together: `((cd /tmp && sudo id) || true)` is two nested subshells, as bash reads it.
 */
function arithmeticEnd(close: Int32Array, open: number): number {
  const inner = close[open + 1] ?? -1;
  return inner !== -1 && close[open] === inner + 1 ? inner + 2 : -1;
}

/**
 * The simple commands of a shell script, as lists of words: quotes and backslashes are resolved,
 * comments dropped, and `;`, `&`, `|`, `(`, `)`, backquotes, `$(` and newlines end a command.
 * Here-document bodies (`<<EOF`, `<<-EOF`, `<<'EOF'`) are no commands: they are skipped, and a
 * command's standard-input body is kept as its `stdin`; the operator and its delimiter are no words.
 * A here-string (`<<<word`) stays a word. Arithmetic (`((…))`, `$((…))`) is skipped, so that
 * `1<<3` is no here-document. Enough to find command words; not a full shell grammar (no
 * substitution inside double quotes). One pass, linear in the script.
 */
function shellCommands(script: string): ShellCommand[] {
  const commands: ShellCommand[] = [];
  let command: ShellCommand = { words: [] };
  let word: string | undefined;
  /** Here-documents whose bodies start after the current line. */
  let pending: HereDocument[] = [];
  /** An operator waiting for its delimiter, the next word. */
  let operator: Omit<HereDocument, 'delimiter'> | undefined;
  const endWord = (): void => {
    if (word === undefined) return;
    if (operator === undefined) command.words.push(word);
    else pending.push({ ...operator, delimiter: word });
    operator = undefined;
    word = undefined;
  };
  const endCommand = (): void => {
    endWord();
    operator = undefined;
    if (command.words.length > 0) commands.push(command);
    command = { words: [] };
  };
  /** Closing parentheses, found once the first `((` or `$(` needs them. */
  let close: Int32Array | undefined;
  for (let i = 0; i < script.length; i++) {
    const c = script.charAt(i);
    if (c === '\\') {
      if (script.charAt(i + 1) !== '\n') word = (word ?? '') + script.charAt(i + 1);
      i++;
    } else if (c === "'") {
      const close = script.indexOf("'", i + 1);
      const end = close < 0 ? script.length : close;
      word = (word ?? '') + script.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let text = '';
      for (i++; i < script.length && script.charAt(i) !== '"'; i++) {
        if (script.charAt(i) === '\\' && '"\\$`'.includes(script.charAt(i + 1))) i++;
        text += script.charAt(i);
      }
      word = (word ?? '') + text;
    } else if (c === '#' && word === undefined) {
      const newline = script.indexOf('\n', i);
      i = newline < 0 ? script.length : newline - 1;
    } else if (c === '<' && script.startsWith('<<<', i)) {
      // A here-string: its word is data, read as a word of the command.
      word = (word ?? '') + '<<<';
      i += 2;
    } else if (c === '<' && script.charAt(i + 1) === '<') {
      // A here-document; a number right before it (`3<<EOF`) names the descriptor it feeds.
      const descriptor = word !== undefined && operator === undefined && /^\d+$/.test(word) ? word : undefined;
      if (descriptor !== undefined) word = undefined;
      endWord();
      const strip = script.charAt(i + 2) === '-';
      operator = { strip, owner: descriptor === undefined || Number(descriptor) === 0 ? command : undefined };
      i += strip ? 2 : 1;
    } else if (c === '\n') {
      endCommand();
      if (pending.length > 0) i = readBodies(script, i + 1, pending) - 1;
      pending = [];
    } else if (c === '(' && script.charAt(i + 1) === '(') {
      endCommand();
      close ??= closingParens(script);
      const end = arithmeticEnd(close, i);
      if (end !== -1) i = end - 1;
    } else if (c === '$' && script.charAt(i + 1) === '(') {
      endCommand();
      close ??= closingParens(script);
      const end = script.charAt(i + 2) === '(' ? arithmeticEnd(close, i + 1) : -1;
      i = end !== -1 ? end - 1 : i + 1;
    } else if (c === '|' && script.charAt(i + 1) !== '|') {
      // A pipe: a here-document on this command's input reaches the next one (`cat <<EOF | sh`).
      const from = command;
      endCommand();
      from.pipe = command;
    } else if (';&|()`'.includes(c)) {
      endCommand();
    } else if (c === ' ' || c === '\t' || c === '\r') {
      endWord();
    } else {
      // A redirection right after a delimiter ends it (`<<EOF>/etc/app.conf`).
      if (operator !== undefined && (c === '<' || c === '>')) endWord();
      word = (word ?? '') + c;
    }
  }
  endCommand();
  for (const command of commands) {
    if (command.pipe !== undefined && command.stdin !== undefined) command.pipe.stdin ??= command.stdin;
  }
  return commands;
}

/** True when the options of sudo or doas name a user other than root: a switch, not an elevation. */
function runsAsOtherUser(options: readonly string[]): boolean {
  // Options come before the command; a `-u` after it is the command's own.
  for (let i = 0; i < options.length; i++) {
    const word = options[i] ?? '';
    if (word === '--' || !word.startsWith('-')) return false;
    if (word.startsWith('--')) {
      if (word === '--user' || word.startsWith('--user=')) {
        const user = word === '--user' ? options[i + 1] : word.slice('--user='.length);
        return user !== undefined && !ROOT_USERS.has(user);
      }
      if (LONG_ARGUMENT.test(word)) i++;
      continue;
    }
    // A cluster of flags: the first that takes an argument takes the rest of the word, or the next word.
    for (let k = 1; k < word.length; k++) {
      const flag = word.charAt(k);
      if (!ARGUMENT_FLAGS.includes(flag)) continue;
      const value = k + 1 < word.length ? word.slice(k + 1) : options[++i];
      if (flag === 'u') return value !== undefined && !ROOT_USERS.has(value);
      break;
    }
  }
  return false;
}

/** The command that elevates in a script read at `depth` + 1 (the script of `sh -c`, or a here-document fed to a shell). */
function scriptElevation(script: string, depth: number): string | undefined {
  for (const command of shellCommands(script)) {
    const found = elevation(command.words, depth + 1, command.stdin);
    if (found !== undefined) return found.command;
  }
  return undefined;
}

/**
 * Where argv (or a simple command of a script, with the here-document body on its standard input)
 * elevates: the index of the word holding it (the `sudo` word, the script of `sh -c` that calls it,
 * or the shell that reads it from a here-document) and the command's name.
 */
function elevation(words: readonly string[], depth: number, stdin?: string): { index: number; command: string } | undefined {
  let i = 0;
  while (i < words.length) {
    const word = words[i] ?? '';
    if (ASSIGNMENT.test(word) || KEYWORDS.has(word)) i++;
    else if (WRAPPERS.has(basename(word))) {
      i++;
      while (i < words.length && (OPTION_OR_NUMBER.test(words[i] ?? '') || ASSIGNMENT.test(words[i] ?? ''))) {
        if (WRAPPER_ARGUMENT.has(words[i] ?? '')) i++;
        i++;
      }
    } else break;
  }
  const first = words[i];
  if (first === undefined) return undefined;
  const name = basename(first);
  if (ELEVATORS.has(name)) return runsAsOtherUser(words.slice(i + 1)) ? undefined : { index: i, command: name };
  if (!SHELLS.has(name) || depth > 2) return undefined;
  // The script is the first operand after the options (`-c`, `-ec`, `-o pipefail -c`, `-euo pipefail -c`).
  let j = i + 1;
  let script = false;
  let fromStdin = false;
  for (; j < words.length && /^[-+]/.test(words[j] ?? ''); j++) {
    const option = words[j] ?? '';
    if (!/^[-+][a-z]+$/.test(option)) continue;
    if (option.startsWith('-') && option.includes('c')) script = true;
    if (option.startsWith('-') && option.includes('s')) fromStdin = true;
    // `o` takes the next word: the name of the option it sets.
    if (option.includes('o')) j++;
  }
  const text = words[j];
  if (script) {
    const command = text === undefined ? undefined : scriptElevation(text, depth);
    return command === undefined ? undefined : { index: j, command };
  }
  // Without `-c`, a shell given no script file (or `-s`) reads its script from standard input.
  if (stdin === undefined || (text !== undefined && !fromStdin)) return undefined;
  const command = scriptElevation(stdin, depth);
  return command === undefined ? undefined : { index: i, command };
}

/** An argv of the container with the path of each word. */
interface Argv {
  words: string[];
  /** The path of word `i` (built only for a finding). */
  pathOf(i: number): Path;
}

const wordsOf = (list: readonly unknown[]): string[] => list.map((w) => (typeof w === 'string' ? w : ''));

/** The entrypoint (command and args together, as the container runs them) and the exec hooks and probes. */
function argvs(container: JsonObject, path: Path): Argv[] {
  const command = asArray(container['command']);
  const args = asArray(container['args']);
  const out: Argv[] = [
    {
      words: wordsOf(command).concat(wordsOf(args)),
      pathOf: (i) => (i < command.length ? [...path, 'command', i] : [...path, 'args', i - command.length]),
    },
  ];
  for (const hook of HOOKS) {
    let value: unknown = container;
    for (const key of hook) value = asObject(value)?.[key];
    const list = asArray(value);
    if (list.length > 0) out.push({ words: wordsOf(list), pathOf: (i) => [...path, ...hook, i] });
  }
  return out;
}

/** `args[1]`, `livenessProbe.exec.command[0]`: the field of a path, from the container. */
function fieldLabel(path: Path, containerPath: Path): string {
  const rest = path.slice(containerPath.length);
  const index = rest.pop();
  return `${rest.join('.')}[${String(index)}]`;
}

export const rule = defineRule({
  id: 'container-sudo',
  title: 'Container calls sudo',
  severity: 'low',
  target: 'container',
  controls: ['CMP-1', 'DEV-1'],
  frameworks: { nsa: ['Kubernetes Pod security'], kubescape: ['C-0062'] },
  description:
    '`sudo` (or `doas`) in a container\'s command means the image expects to become root at run time: it ships a setuid-root binary and a sudoers policy that lets the container\'s user run commands as root. `runAsNonRoot` and a non-root `runAsUser` then do not hold: any code running as that user (a remote code execution, a malicious dependency) becomes root in the container with one command, with root\'s capabilities and file access, one step closer to the node. The rule reads the command and arguments, the exec probes and the lifecycle hooks, and reports `sudo` or `doas` where it is the command word, also inside a shell script (`sh -c "… && sudo …"`), after `exec`, `env` or `nohup`, with a path (`/usr/bin/sudo`), and in the body of a here-document fed to a shell, directly or through a pipe (`sh <<EOF`, `bash -s <<EOF`, `cat <<EOF | sh`), which is the shell\'s script. Not reported: mentions that are no command (`/etc/sudoers.d`, `echo "no sudo"`, `pseudo`), the bodies of other here-documents (`cat <<EOF > file`, `<<-EOF`, `<<\'EOF\'`: data up to the delimiter line, or to the end of an unterminated script) and here-strings (`<<< "sudo …"`), `sudo -u <user>` to a user other than root (a switch of user, not an elevation), `su`, `gosu` and `su-exec` (run by root to drop privileges: the image then runs as root, which the Pod Security rules report), and containers that set `allowPrivilegeEscalation: false`, where the kernel ignores the setuid bit and sudo cannot elevate.',
  remediation:
    'Do the root-only steps at build time (in the Dockerfile) or in an init container that runs as root, and run the main command without `sudo`. Remove sudo from the image, and set `securityContext.allowPrivilegeEscalation: false` on the container so that no setuid binary can raise privileges.',
  *check({ container, field, name, index, path }) {
    if (asObject(container['securityContext'])?.['allowPrivilegeEscalation'] === false) return;
    const commands = new Set<string>();
    const paths: Path[] = [];
    for (const argv of argvs(container, path)) {
      // Cheap filter: most containers mention neither command.
      if (!argv.words.some((w) => w.includes('sudo') || w.includes('doas'))) continue;
      const found = elevation(argv.words, 0);
      if (found === undefined) continue;
      commands.add(found.command);
      paths.push(argv.pathOf(found.index));
    }
    const [first, ...rest] = paths;
    if (first === undefined) return;
    yield {
      path: first,
      ...(rest.length > 0 ? { paths: rest } : {}),
      message: `${containerLabel(field, name, index)} runs ${[...commands].join(' and ')} (${paths.map((p) => fieldLabel(p, path)).join(', ')}): the image expects to become root at run time through a setuid binary, and allowPrivilegeEscalation is not false, so it can`,
    };
  },
});
