/**
 * One table-driven test over every rule's fixtures: each fail fixture gives at least one finding
 * of its rule, each pass fixture none, and every finding points at a line of its fixture.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTROLS } from '../src/engine/controls.js';
import { knownRules, parseConfig } from '../src/engine/config.js';
import { scanTexts } from '../src/engine/scan.js';
import { RULES } from '../src/rules/index.js';
import { fixtures, ruleFolders } from '../scripts/gen.js';

/*
 * Fixture headers (leading comment lines): `# mamori-pss: baseline:v1.18` evaluates the fixture at
 * that policy; `# mamori-options: {"allowed": ["registry.example.com"]}` sets the rule's options.
 */
const PSS_HEADER = /^# mamori-pss: (\S+)/m;
const OPTIONS_HEADER = /^# mamori-options: (.+)$/m;
/** The codes of the errors a fixture's input must give (a field of the wrong type, on purpose), in order. */
const ERRORS_HEADER = /^# mamori-errors: (.+)$/m;

describe('rule catalog', () => {
  const folders = ruleFolders();

  it('registers every rule folder, ids equal to folder names', () => {
    expect(RULES.map((r) => r.id)).toEqual(folders.map((f) => f.id));
  });

  it.each(RULES.map((r) => [r.id, r] as const))('%s has complete metadata', (_id, rule) => {
    expect(rule.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    expect(rule.title.length).toBeGreaterThan(5);
    expect(rule.description.length).toBeGreaterThan(40);
    expect(rule.remediation.length).toBeGreaterThan(20);
    expect(rule.controls.length).toBeGreaterThan(0);
    for (const control of rule.controls) expect(Object.keys(CONTROLS)).toContain(control);
  });

  for (const folder of folders) {
    describe(folder.id, () => {
      const rule = RULES.find((r) => r.id === folder.id);
      const examples = fixtures(folder.dir);
      it('has pass and fail fixtures', () => {
        expect(examples.filter((e) => e.verdict === 'pass').length).toBeGreaterThan(0);
        expect(examples.filter((e) => e.verdict === 'fail').length).toBeGreaterThan(0);
      });
      it.each(examples.map((e) => [e.name, e] as const))('%s', (_name, example) => {
        const file = relative(process.cwd(), join(folder.dir, example.name));
        const text = readFileSync(file, 'utf8');
        const pss = PSS_HEADER.exec(text)?.[1] ?? 'restricted:latest';
        const options = OPTIONS_HEADER.exec(text)?.[1];
        // The rule under test is on even when it is optional (off by default).
        const setting = options === undefined ? { enabled: true } : { enabled: true, options: JSON.parse(options) as unknown };
        const config = parseConfig({ rules: { [folder.id]: setting } }, file, knownRules(RULES));
        const report = scanTexts([{ file, text }], { rules: rule ? [rule] : [], pss, config });
        expect(report.errors.map((e) => e.code)).toEqual(ERRORS_HEADER.exec(text)?.[1]?.split(',').map((c) => c.trim()) ?? []);
        expect(report.inputs.objects).toBeGreaterThan(0);
        const own = report.findings.filter((f) => f.ruleId === folder.id);
        if (example.verdict === 'pass') {
          expect(own).toEqual([]);
          return;
        }
        expect(own.length).toBeGreaterThan(0);
        const lines = text.split('\n');
        for (const finding of own) {
          expect(finding.location?.file).toBe(file);
          const line = finding.location?.line ?? 0;
          expect(line).toBeGreaterThan(0);
          expect(line).toBeLessThanOrEqual(lines.length);
          const at = lines[line - 1] ?? '';
          // The reported line holds the offending field or, for a field that must be added, an
          // ancestor of it: a sequence item, or the object's own first line when the ancestor is the root.
          const segments = finding.path.split(/[.[\]"]+/).filter((s) => s !== '' && !/^\d+$/.test(s));
          const rootLine = /^(apiVersion|kind):/.test(at);
          expect(segments.some((s) => at.includes(s)) || /^\s*-/.test(at) || rootLine).toBe(true);
        }
      });
    });
  }
});
