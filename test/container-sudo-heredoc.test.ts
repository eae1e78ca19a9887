/**
 * container-sudo reads here-documents: their bodies are data, except when a shell reads its script
 * from them (`sh <<EOF`). Each case runs one container command through the rule.
 */
import { describe, expect, it } from 'vitest';
import { scanTexts } from '../src/engine/scan.js';
import { RULES } from '../src/rules/index.js';

const RULE = RULES.filter((r) => r.id === 'container-sudo');

/** The paths of container-sudo's findings for a container whose command is `argv`. */
function findings(argv: readonly string[]): string[] {
  const text = `apiVersion: v1
kind: Pod
metadata:
  name: app
  namespace: shop
spec:
  containers:
    - name: app
      image: registry.example.com/app:1.0
      command: ${JSON.stringify(argv)}
`;
  const report = scanTexts([{ file: 'pod.yaml', text }], { rules: RULE });
  expect(report.errors).toEqual([]);
  return report.findings.map((f) => f.path);
}

const AT_SCRIPT = ['spec.containers[0].command[2]'];

/** Findings of `sh -c SCRIPT`. */
function script(text: string): string[] {
  return findings(['sh', '-c', text]);
}

describe('container-sudo: here-document bodies are data', () => {
  it.each([
    ['a body written to a file', 'cat <<EOF > /etc/app.conf\nrun sudo whenever\nsudo chown app /data\nEOF\nexec /app'],
    ['a body piped on', 'tee /etc/sudoers.d/app <<EOF | wc -l\napp ALL=(ALL) NOPASSWD: ALL\nsudo true\nEOF'],
    ['<<- with tab-indented body and delimiter', 'cat <<-EOF >/etc/motd\n\tsudo is here\n\tEOF\nexec /app'],
    ["a single-quoted delimiter after a blank", "cat << 'EOF' >/x\nsudo $HOME\nEOF"],
    ['a double-quoted delimiter', 'cat <<"EOF" >/x\nsudo true\nEOF'],
    ['a backslash-quoted delimiter', 'cat <<\\EOF >/x\nsudo true\nEOF'],
    ['a partly quoted delimiter', 'cat <<E"O"F >/x\nsudo true\nEOF'],
    ['a delimiter followed by a redirection', 'cat <<EOF>/etc/x\nsudo true\nEOF'],
    ['a command glued to its operator', 'cat<<EOF\nsudo true\nEOF'],
    ['two here-documents on one line', 'cat <<A >/a; cat <<B >/b\nsudo a\nA\nsudo b\nB\nexec /app'],
    ['two here-documents of one command', 'diff /dev/fd/3 - 3<<A <<B\nsudo a\nA\nsudo b\nB'],
    ['an unterminated body, to the end of the script', 'cat <<EOF >/x\nsudo true'],
    ['<<EOF whose tab-indented delimiter does not end it', 'cat <<EOF >/x\n\tEOF\nsudo true'],
    ['a delimiter line that only starts like it', 'cat <<EOF >/x\nEOFX\n EOF\nsudo true\nEOF'],
    ['a comment after the operator', 'cat <<EOF >/x # sudo is in the body\nsudo true\nEOF'],
    ['an operator line continued with a backslash', 'cat <<EOF \\\n  >/x\nsudo true\nEOF'],
    ['a CRLF script', 'cat <<EOF >/x\r\nsudo true\r\nEOF\r\nexec /app\r\n'],
    ['a here-document inside a command substitution', 'x=$(cat <<EOF\nsudo true\nEOF\n)\necho "$x"'],
    ['a body fed to a shell script file, not a script itself', 'sh /opt/setup.sh <<EOF\nsudo true\nEOF'],
    ['a body fed to sh -c, whose script is the operand', "sh -c 'cat >/x' <<EOF\nsudo true\nEOF"],
    ['a body on another descriptor of a shell', 'sh 3<<EOF\nsudo true\nEOF'],
    ['a here-string', 'cat <<<"sudo true"'],
    ['a here-string with a bare word', 'grep -c x <<<sudo'],
  ])('%s', (_name, text) => {
    expect(script(text)).toEqual([]);
  });
});

describe('container-sudo: commands around and inside here-documents', () => {
  it.each([
    ['sudo after the body', 'cat <<EOF >/etc/app.conf\nkey=value\nEOF\nsudo chown app /etc/app.conf'],
    ['sudo after a <<- body', 'cat <<-EOF >/x\n\tdata\n\tEOF\n\tsudo true'],
    ['sudo after a quoted delimiter', "cat <<'END' >/x\n$data\nEND\nsudo true"],
    ['sudo on the operator line', 'cat <<EOF >/x && sudo true\ndata\nEOF'],
    ['sudo after the second of two bodies', 'cat <<A; cat <<B\ndata\nA\ndata\nB\nsudo true'],
    ['sudo after two bodies of one command', 'cat <<A <<B\ndata\nA\ndata\nB\nsudo true'],
    ['sudo after a CRLF delimiter', 'cat <<EOF >/x\r\ndata\r\nEOF\r\nsudo true\r\n'],
    ['sudo after a here-string that looks like an operator', 'cat <<<EOF\nsudo true\nEOF'],
    ['sudo after a here-string', 'grep -q x <<<"$v" && sudo true'],
    ['sudo after arithmetic with a shift', 'x=$((1<<3))\nsudo true'],
    ['sudo after an arithmetic command with a shift', '(( x <<= 2 ))\nsudo true'],
    ['a body fed to sh', 'sh <<EOF\nset -e\nsudo chown -R app /data\nEOF'],
    ['a body fed to bash -s with arguments', 'bash -s -- one two <<EOF\nsudo true\nEOF'],
    ['a body fed to sh behind env and options', 'env LC_ALL=C /bin/sh -e <<-EOF\n\tsudo true\n\tEOF'],
    ['a body fed to sh on descriptor 0', 'sh 0<<EOF\nsudo true\nEOF'],
    ['a body fed to sh, the last of two on standard input', 'sh <<A <<B\necho a\nA\nsudo true\nB'],
    ['a here-document in a body fed to sh', 'sh <<OUTER\ncat <<INNER >/x\ndata\nINNER\nsudo true\nOUTER'],
    ['a body piped to sh', 'cat <<EOF | sh\nsudo chown -R app /data\nEOF'],
    ['a quoted body piped to bash -s', "cat <<'EOF' | bash -s\nsudo true\nEOF"],
    ['a body piped to sh behind env', 'cat <<EOF | env -i /bin/sh -e\nsudo true\nEOF'],
    ['nested subshells that start like arithmetic', '((cd /tmp && sudo id) || true)'],
    ['sudo after unbalanced double parentheses', '((cd /tmp\nsudo true'],
  ])('%s', (_name, text) => {
    expect(script(text)).toEqual(AT_SCRIPT);
  });

  it('reads a body fed to a shell in a script of sh -c, within the depth limit', () => {
    expect(findings(['bash', '-c', 'sh -c "sh <<EOF\nsudo true\nEOF"'])).toEqual(AT_SCRIPT);
    expect(findings(['sh', '-c', 'sh <<A\nsh <<B\nsh <<C\nsudo true\nC\nB\nA'])).toEqual([]);
  });

  it('does not read a here-document in a body that is data', () => {
    expect(script('cat <<A >/x\nsh <<B\nsudo true\nB\nA')).toEqual([]);
    // Piped on to a command that is no shell, or with `||` (no pipe), a body stays data.
    expect(script('cat <<EOF | wc -l\nsudo true\nEOF')).toEqual([]);
    expect(script('cat <<EOF || sh\nsudo true\nEOF')).toEqual([]);
    // Arithmetic whose parentheses close together stays skipped.
    expect(script('(( (1 << 3) > x ))\necho sudo')).toEqual([]);
  });
});

describe('container-sudo: hostile here-documents stay linear', () => {
  it('reads many here-document operators and their bodies', () => {
    const count = 50_000;
    const text = `cat ${'<<EOF '.repeat(count)}>/x\n${'sudo data\nEOF\n'.repeat(count)}sudo true`;
    expect(script(text)).toEqual(AT_SCRIPT);
  }, 10_000);

  it('reads a huge unterminated body behind many operators', () => {
    const text = `cat ${'<<E '.repeat(100_000)}\n${'sudo true <<X <<-Y ((\n'.repeat(50_000)}${'<'.repeat(500_000)}`;
    expect(script(text)).toEqual([]);
  }, 10_000);

  it('compares a huge delimiter with lines that almost match it', () => {
    const delimiter = 'D'.repeat(200_000);
    const text = `cat <<${delimiter}\n${`${'D'.repeat(199_999)}\n`.repeat(5)}${delimiter}\nsh <<EOF\n${'x\n'.repeat(200_000)}sudo true\nEOF`;
    expect(script(text)).toEqual(AT_SCRIPT);
  }, 10_000);

  it('reads runs of operator characters outside any body', () => {
    const text = `echo ${'<'.repeat(400_001)} ${'3<<'.repeat(100_000)} ${'(('.repeat(100_000)}`;
    expect(script(text)).toEqual([]);
    expect(script(`${'((x<<1)) '.repeat(100_000)}\nsudo true`)).toEqual(AT_SCRIPT);
    // Double parentheses that are not arithmetic, each tried once against a one-pass index.
    expect(script(`${'(('.repeat(200_000)}sudo true`)).toEqual(AT_SCRIPT);
    expect(script(`${'$(('.repeat(200_000)}x`)).toEqual([]);
  }, 10_000);
});
