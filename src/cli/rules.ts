import { ruleInfo, ruleMarkdown, ruleText } from '../engine/catalog.js';
import { EXCEPTION_RULES } from '../engine/exceptions.js';
import { MamoriError } from '../errors.js';
import { RULES } from '../rules/index.js';
import { EXIT } from './exit.js';
import { writeStdout } from './output.js';

/** `mamori rules [ID]`: returns the exit code. */
export function runRules(id: string | undefined, format: 'text' | 'json' | 'md'): number {
  if (id !== undefined) {
    const rule = RULES.find((r) => r.id === id);
    const about = Object.values(EXCEPTION_RULES).find((r) => r.id === id);
    if (rule === undefined && about !== undefined) {
      // Findings about the configuration's exceptions: written by the engine, not in the catalog.
      const description = 'A finding about an exception of the configuration (docs/exceptions.md): written by the engine for the rules that ran, configurable and selectable like any rule.';
      const info = { id: about.id, title: about.title, severity: about.severity, description };
      writeStdout(format === 'json' ? `${JSON.stringify(info, null, 2)}\n` : `${about.id}: ${about.title}\n\n  severity  ${about.severity}\n\n${description}\n`);
      return EXIT.clean;
    }
    if (rule === undefined) throw new MamoriError('unknown-rule', `no rule ${JSON.stringify(id)}; \`mamori rules\` lists them`);
    const text = format === 'json' ? `${JSON.stringify(ruleInfo(rule), null, 2)}\n` : format === 'md' ? ruleMarkdown(rule) : ruleText(rule);
    writeStdout(text);
    return EXIT.clean;
  }
  if (format === 'json') {
    writeStdout(`${JSON.stringify(RULES.map(ruleInfo), null, 2)}\n`);
    return EXIT.clean;
  }
  if (format === 'md') {
    const rows = RULES.map((r) => `| [${r.id}](docs/rules/${r.id}.md) | ${r.severity} | ${r.controls.join(', ')} | ${r.title} |`);
    writeStdout(['| id | severity | controls | title |', '|---|---|---|---|', ...rows, ''].join('\n'));
    return EXIT.clean;
  }
  const width = Math.max(...RULES.map((r) => r.id.length), 2);
  const lines = RULES.map((r) => `${r.id.padEnd(width)}  ${r.severity.padEnd(8)}  ${r.controls.join(',').padEnd(18)}  ${r.title}`);
  writeStdout([`${'ID'.padEnd(width)}  ${'SEVERITY'}  ${'CONTROLS'.padEnd(18)}  TITLE`, ...lines, '', `${RULES.length} rules`, ''].join('\n'));
  return EXIT.clean;
}
