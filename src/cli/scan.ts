import { atLeast, isSeverity } from '../engine/controls.js';
import { checkPolicyNames, knownRules, loadConfig, ruleSetting, type Config } from '../engine/config.js';
import { applyBaseline, baselineFindings, readBaseline, writeBaseline } from '../engine/baseline.js';
import { EXCEPTION_RULE_IDS } from '../engine/exceptions.js';
import { compileGlob } from '../engine/glob.js';
import { inputNamespaces } from '../engine/report.js';
import { scanPaths, type ScanOptions } from '../engine/scan.js';
import { MamoriError } from '../errors.js';
import { escapeControls } from '../text.js';
import { isFormat, STREAMING_WRITERS, type WriterOptions } from '../report/index.js';
import { RULES } from '../rules/index.js';
import type { Rule } from '../engine/rule.js';
import type { ReportError, Severity } from '../types.js';
import { emit, useColor } from './output.js';
import { EXIT } from './exit.js';

interface ScanFlags {
  format: string;
  output?: string;
  pss?: string;
  kubeVersion?: string;
  failOn?: string;
  config?: string;
  rules?: string;
  skipRules?: string;
  color: boolean;
  baseline?: string;
  writeBaseline?: string;
  policy?: string[];
  skipNonManifests?: boolean;
}

/** A glob over rule ids: `*` matches any run of characters. */
function globMatcher(pattern: string): (id: string) => boolean {
  const glob = compileGlob(pattern);
  return (id) => glob.test(id);
}

/** The rules `--rules` and `--skip-rules` select, and the findings about exceptions `--skip-rules` skips. */
interface Selection {
  rules: readonly Rule[];
  /** Ids of EXCEPTION_RULES that `--skip-rules` names. */
  skipped: readonly string[];
}

/**
 * The catalog narrowed by `--rules` and `--skip-rules`. A pattern that matches no rule is a usage
 * error, and so is a `--rules` that names no pattern (`--rules ''`, as an unset variable gives) or
 * a selection that leaves no rule to run; an empty `--skip-rules` skips nothing. The findings
 * about exceptions (EXCEPTION_RULE_IDS) report on the exceptions of the rules that run: patterns
 * may name them, and `--skip-rules` turns them off.
 */
function select(rules: readonly Rule[], include: string | undefined, exclude: string | undefined, unloaded: readonly ReportError[] = []): Selection {
  const ids = [...rules.map((r) => r.id), ...EXCEPTION_RULE_IDS];
  // A policy that could not be loaded is no rule: a pattern naming it says why.
  const files = new Set(unloaded.map((e) => e.file)).size;
  const because = (pattern: string): string =>
    !pattern.startsWith('policy:') || unloaded.length === 0
      ? ''
      : `; ${files === 1 ? 'a policy file' : `${files} policy files`} could not be loaded: ${unloaded
          .slice(0, 3)
          .map((e) => `${e.file}${e.line === undefined ? '' : `:${e.line}`}: ${e.message}`)
          .join('; ')}${unloaded.length > 3 ? '; ...' : ''}`;
  const parse = (flag: string, list: string): ((id: string) => boolean)[] =>
    list
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== '')
      .map((p) => {
        const match = globMatcher(p);
        if (!ids.some(match)) throw new MamoriError('usage', `${flag}: no rule matches ${JSON.stringify(p)} (see \`mamori rules\`)${because(p)}`);
        return match;
      });
  const keep = include === undefined ? undefined : parse('--rules', include);
  if (keep?.length === 0) throw new MamoriError('usage', `--rules: names no rule (got ${JSON.stringify(include)}); give rule ids or globs, or leave the flag out to run every rule`);
  const drop = exclude === undefined ? [] : parse('--skip-rules', exclude);
  const selected = rules.filter((r) => (keep === undefined || keep.some((m) => m(r.id))) && !drop.some((m) => m(r.id)));
  if (selected.length === 0) {
    const flags = [include !== undefined ? '--rules' : '', exclude !== undefined ? '--skip-rules' : ''].filter((f) => f !== '');
    const why = keep !== undefined && keep.every((m) => !rules.some((r) => m(r.id))) ? ` (${EXCEPTION_RULE_IDS.join(' and ')} report on the exceptions of the rules that run)` : '';
    throw new MamoriError('usage', `${flags.join(' and ')} ${flags.length === 1 ? 'leaves' : 'leave'} no rule to run${why}`);
  }
  return { rules: selected, skipped: EXCEPTION_RULE_IDS.filter((id) => drop.some((m) => m(id))) };
}

/** The catalog narrowed by `--rules` and `--skip-rules` (see `select`). */
export function selectRules(rules: readonly Rule[], include: string | undefined, exclude: string | undefined): readonly Rule[] {
  return select(rules, include, exclude).rules;
}

/** The configuration with the findings about exceptions that `--skip-rules` names turned off. */
function withSkipped(config: Config, skipped: readonly string[]): Config {
  if (skipped.length === 0) return config;
  const rules = { ...config.rules };
  for (const id of skipped) rules[id] = { ...rules[id], enabled: false };
  return { ...config, rules };
}

/**
 * The rules as the writers describe them: with the severity the configuration gives a rule
 * (`rules: { pss-run-as-non-root: { severity: critical } }`, globs too) in place of the catalog's,
 * as its findings have it, so a SARIF rule's level and `security-severity` match its results.
 */
function configuredRules(rules: readonly Rule[], config: Config): readonly Rule[] {
  return rules.map((rule) => {
    const { severity } = ruleSetting(config, rule.id, {});
    return severity === undefined || severity === rule.severity ? rule : { ...rule, severity };
  });
}

/** The minor of a Kubernetes version given as `1.36`, `v1.36` or `1.36.2`. */
export function parseKubeMinor(text: string): number {
  const match = /^v?1\.(0|[1-9][0-9]*)(?:\.[0-9]+)?$/.exec(text);
  if (match === null) throw new MamoriError('usage', `--kube-version must look like 1.36 (got ${JSON.stringify(text)})`);
  return Number(match[1]);
}

/** `mamori scan`: returns the exit code. */
export async function runScan(paths: string[], flags: ScanFlags): Promise<number> {
  if (!isFormat(flags.format)) throw new MamoriError('usage', `unknown format ${flags.format}`);
  const failOn = flags.failOn ?? undefined;
  if (failOn !== undefined && failOn !== 'none' && !isSeverity(failOn)) {
    throw new MamoriError('usage', `--fail-on must be one of critical, high, medium, low, info, none (got ${JSON.stringify(failOn)})`);
  }
  const config = loadConfig(flags.config, knownRules(RULES));
  const baseline = flags.baseline === undefined ? undefined : readBaseline(flags.baseline);
  if (baseline?.version === 1) {
    // Still read as then, so that upgrading mamori does not fail CI; rewriting it closes the gaps of that format.
    const file = escapeControls(baseline.file);
    process.stderr.write(
      `mamori: note: the baseline ${file} was written by an earlier mamori (schemaVersion 1): one of its entries accepts every finding of its rule, object and first path, and a container's findings by the container's index; rewrite it (--baseline ${file} --write-baseline ${file}) so that each entry accepts one finding\n`,
    );
  } else if (baseline?.version === 2) {
    const file = escapeControls(baseline.file);
    process.stderr.write(
      `mamori: note: the baseline ${file} was written by an earlier mamori (schemaVersion 2), before Pod Security findings named the containers that inherit a bad value: such an entry accepts its finding with those containers too, including ones added since; rewrite it (--baseline ${file} --write-baseline ${file}) so that each entry names every place of its finding\n`,
    );
  }
  const now = new Date();
  const kubeMinor = flags.kubeVersion === undefined ? undefined : parseKubeMinor(flags.kubeVersion);
  // Custom policies (ValidatingAdmissionPolicies) run as rules `policy:<name>` beside the catalog.
  const policyPaths = [...config.policies, ...(flags.policy ?? [])];
  // The CEL engine is loaded only when there are policies: a plain scan starts without it.
  const policies = policyPaths.length === 0 ? undefined : (await import('../policy/rules.js')).loadPolicyRules(policyPaths, kubeMinor);
  // A policy that could not be read is an error of its own; names are checked against a complete set.
  if (policies !== undefined && policies.errors.length === 0) checkPolicyNames(config, policies.rules.map((r) => r.id));
  // --rules and --skip-rules select among the catalog and the policies alike (`--rules 'policy:*'`).
  const selection = select([...RULES, ...(policies?.rules ?? [])], flags.rules, flags.skipRules, policies?.errors);
  const options: ScanOptions = { rules: selection.rules, config: withSkipped(config, selection.skipped), now };
  if (flags.skipNonManifests === true) options.skipNonManifests = true;
  if (flags.pss !== undefined) options.pss = flags.pss;
  if (kubeMinor !== undefined) options.maxPssMinor = kubeMinor;
  const scanned = scanPaths(paths, options);
  if (policies !== undefined && policies.errors.length > 0) scanned.errors = [...policies.errors, ...scanned.errors];
  const report = baseline === undefined ? scanned : applyBaseline(scanned, baseline);
  const writerOptions: WriterOptions = {
    color: useColor(flags.color, flags.output !== undefined),
    rules: configuredRules(policies === undefined ? RULES : [...RULES, ...policies.rules], config),
    cwd: process.cwd(),
    now,
  };
  // A namespace whose objects are now clean gets an empty PolicyReport, replacing an older one.
  const namespaces = inputNamespaces(scanned);
  if (namespaces !== undefined) writerOptions.namespaces = namespaces;
  // In pieces: the report of a million findings is larger than a string can be.
  emit(STREAMING_WRITERS[flags.format](report, writerOptions), flags.output);
  if (flags.writeBaseline !== undefined) {
    // The findings of this scan become the baseline: those reported and those already in the baseline read (see `baselineFindings`).
    const accepted = baselineFindings(report);
    emit(writeBaseline(accepted), flags.writeBaseline);
    process.stderr.write(`mamori: wrote ${accepted.length} finding(s) to the baseline ${escapeControls(flags.writeBaseline)}\n`);
    return report.errors.length > 0 ? EXIT.error : EXIT.clean;
  }
  if (report.errors.length > 0) return EXIT.error;
  const threshold: Severity | 'none' = (failOn as Severity | 'none' | undefined) ?? config.failOn ?? 'low';
  if (threshold === 'none') return EXIT.clean;
  return report.findings.some((f) => atLeast(f.severity, threshold)) ? EXIT.findings : EXIT.clean;
}
