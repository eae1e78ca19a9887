/**
 * docs/peer-coverage.md maps peer checks onto mamori rules. Every rule id named in the "mamori
 * rule(s)" column of its tables must exist in the catalog, so renaming or removing a rule cannot
 * leave the page silently stale.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RULES } from '../src/rules/index.js';

interface Table {
  /** The section heading above the table. */
  section: string;
  /** 1-based line of the header row. */
  line: number;
  header: string[];
  rows: { line: number; cells: string[] }[];
}

const STATUSES = ['covered', 'partial', 'not covered'];

/** The cells of a Markdown table row (`| a | b |`), trimmed. */
function cells(row: string): string[] {
  return row.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => c.trim());
}

function tables(markdown: string): Table[] {
  const lines = markdown.split('\n');
  const out: Table[] = [];
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.startsWith('#')) section = line.replace(/^#+\s*/, '');
    const next = lines[i + 1] ?? '';
    if (!line.trim().startsWith('|') || !/^\s*\|[\s:|-]+\|\s*$/.test(next)) continue;
    const table: Table = { section, line: i + 1, header: cells(line).map((c) => c.toLowerCase()), rows: [] };
    let j = i + 2;
    for (; j < lines.length && (lines[j] ?? '').trim().startsWith('|'); j++) table.rows.push({ line: j + 1, cells: cells(lines[j] ?? '') });
    out.push(table);
    i = j - 1;
  }
  return out;
}

const doc = readFileSync(new URL('../docs/peer-coverage.md', import.meta.url), 'utf8');
const all = tables(doc);
const known = new Set(RULES.map((r) => r.id));

describe('docs/peer-coverage.md', () => {
  it('has one coverage table per peer', () => {
    expect(all.map((t) => t.section)).toEqual([
      'Polaris',
      'kube-linter',
      'kube-score',
      'Trivy (KSV)',
      'Kubescape (regolibrary controls for manifests)',
    ]);
  });

  describe.each(all.map((t) => [t.section, t] as const))('%s', (_section, table) => {
    const ruleColumn = table.header.findIndex((h) => h.startsWith('mamori rule'));
    const statusColumn = table.header.indexOf('status');

    it('has a mamori rule column, a status column and at least one row', () => {
      expect(ruleColumn).toBeGreaterThanOrEqual(0);
      expect(statusColumn).toBeGreaterThanOrEqual(0);
      expect(table.rows.length).toBeGreaterThan(0);
    });

    it('names only rules that exist in the catalog', () => {
      const unknown: string[] = [];
      for (const row of table.rows) {
        for (const [, id] of (row.cells[ruleColumn] ?? '').matchAll(/`([^`]+)`/g)) {
          if (!known.has(id ?? '')) unknown.push(`line ${row.line}: ${id}`);
        }
      }
      expect(unknown).toEqual([]);
    });

    it('gives every row a known status, and a rule to every covered or partial row', () => {
      const bad: string[] = [];
      for (const row of table.rows) {
        const status = row.cells[statusColumn] ?? '';
        const ids = [...(row.cells[ruleColumn] ?? '').matchAll(/`([^`]+)`/g)];
        if (!STATUSES.includes(status)) bad.push(`line ${row.line}: status "${status}"`);
        else if (status !== 'not covered' && ids.length === 0) bad.push(`line ${row.line}: ${status} without a rule`);
        else if (status === 'not covered' && ids.length > 0) bad.push(`line ${row.line}: not covered but names a rule`);
      }
      expect(bad).toEqual([]);
    });

    it('lists each peer check once', () => {
      const ids = table.rows.map((r) => r.cells[0] ?? '');
      expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
    });
  });
});

/**
 * The Kubescape table and the rules' `frameworks.kubescape` say the same thing: a rule the table
 * names for a control lists that control, and a control a rule lists is either a row naming the
 * rule or one of the control-plane controls, which Kubescape checks only on a live cluster and
 * the page sums up in prose.
 */
describe('Kubescape controls in docs/peer-coverage.md and in the rules', () => {
  const table = all.find((t) => t.section.startsWith('Kubescape')) as Table;
  const ruleColumn = table.header.findIndex((h) => h.startsWith('mamori rule'));
  const rows = new Map(table.rows.map((row) => [row.cells[0]?.replace(/`/g, '') ?? '', [...(row.cells[ruleColumn] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '')]));
  const byId = new Map(RULES.map((r) => [r.id, r]));
  // The rule families the page's control-plane paragraph names.
  const CONTROL_PLANE_RULE = /^(?:apiserver|controller-manager|scheduler|etcd|kubelet|encryption|audit-policy)-/;

  it('maps every rule the table names to the control in the rule', () => {
    const missing: string[] = [];
    for (const [control, ids] of rows) {
      for (const id of ids) if (!(byId.get(id)?.frameworks?.kubescape ?? []).includes(control)) missing.push(`${control} ${id}`);
    }
    expect(missing).toEqual([]);
  });

  it('has a row naming the rule for every workload control a rule lists', () => {
    const stray: string[] = [];
    for (const rule of RULES) {
      for (const control of rule.frameworks?.kubescape ?? []) {
        const ids = rows.get(control);
        if (ids === undefined ? !CONTROL_PLANE_RULE.test(rule.id) : !ids.includes(rule.id)) stray.push(`${control} ${rule.id}`);
      }
    }
    expect(stray).toEqual([]);
  });
});
