import type { Rule } from './rule.js';
import { phaseOf } from './controls.js';

/** A rule's metadata as `mamori rules --format json` prints it. */
export interface RuleInfo {
  id: string;
  title: string;
  severity: Rule['severity'];
  target: Rule['target'];
  phase: ReturnType<typeof phaseOf>;
  controls: string[];
  frameworks: NonNullable<Rule['frameworks']>;
  description: string;
  remediation: string;
  optional: boolean;
}

/** The metadata of a rule, without its check. */
export function ruleInfo(rule: Rule): RuleInfo {
  return {
    id: rule.id,
    title: rule.title,
    severity: rule.severity,
    target: rule.target,
    phase: phaseOf(rule.controls),
    controls: rule.controls,
    frameworks: rule.frameworks ?? {},
    description: rule.description,
    remediation: rule.remediation,
    optional: rule.optional === true,
  };
}

/** An example fixture shown in a rule's documentation. */
export interface RuleExample {
  verdict: 'pass' | 'fail';
  name: string;
  yaml: string;
}

function frameworkLines(rule: Rule): string[] {
  const f = rule.frameworks ?? {};
  const names = { pss: 'Pod Security Standards', cis: 'CIS Kubernetes Benchmark', nsa: 'NSA/CISA Kubernetes Hardening Guide', kubescape: 'Kubescape' } as const;
  return (['pss', 'cis', 'nsa', 'kubescape'] as const).filter((k) => (f[k] ?? []).length > 0).map((k) => `- ${names[k]}: ${(f[k] ?? []).join(', ')}`);
}

/** A rule's documentation page in Markdown, generated from its metadata and fixtures. */
export function ruleMarkdown(rule: Rule, examples: readonly RuleExample[] = []): string {
  const info = ruleInfo(rule);
  const out = [
    `# ${info.id}: ${info.title}`,
    '',
    `| severity | phase | controls | target |`,
    `|---|---|---|---|`,
    `| ${info.severity} | ${info.phase} | ${info.controls.join(', ')} | ${info.target} |`,
    '',
    '## Why it matters',
    '',
    info.description,
    '',
    '## How to fix',
    '',
    info.remediation,
    '',
  ];
  const frameworks = frameworkLines(rule);
  if (frameworks.length > 0) out.push('## Frameworks', '', ...frameworks, '');
  if (info.optional) out.push('This rule is off unless the configuration turns it on (`rules: { ' + info.id + ': on }`).', '');
  const options = Object.entries(rule.options ?? {});
  if (options.length > 0) {
    const lists = options.some(([, value]) => Array.isArray(value));
    const how = lists ? ' (a list replaces the default; `{ add: [...], remove: [...] }` edits it)' : '';
    out.push('## Options', '', 'Set in `.mamori.yaml` under `rules.' + info.id + '.options`' + how + ':', '', '| option | default |', '|---|---|');
    for (const [name, value] of options) out.push(`| \`${name}\` | \`${JSON.stringify(value)}\` |`);
    out.push('');
  }
  for (const verdict of ['fail', 'pass'] as const) {
    const list = examples.filter((e) => e.verdict === verdict);
    if (list.length === 0) continue;
    out.push(verdict === 'fail' ? '## Examples that are reported' : '## Examples that pass', '');
    for (const e of list) out.push(`\`${e.name}\``, '', '```yaml', e.yaml.trimEnd(), '```', '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/** A rule's documentation for the terminal. */
export function ruleText(rule: Rule): string {
  const info = ruleInfo(rule);
  const frameworks = frameworkLines(rule);
  return [
    `${info.id}: ${info.title}`,
    '',
    `  severity  ${info.severity}`,
    `  phase     ${info.phase}`,
    `  controls  ${info.controls.join(', ')}`,
    `  target    ${info.target}${info.optional ? ' (optional: off unless configured)' : ''}`,
    ...(frameworks.length > 0 ? ['', ...frameworks.map((l) => `  ${l.slice(2)}`)] : []),
    '',
    'Why it matters',
    `  ${info.description}`,
    '',
    'How to fix',
    `  ${info.remediation}`,
    '',
    `Docs: docs/rules/${info.id}.md`,
    '',
  ].join('\n');
}
