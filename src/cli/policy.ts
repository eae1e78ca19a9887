import { MamoriError } from '../errors.js';
import { exportPssPolicies, MIN_EXPORT_KUBE_MINOR, renderPolicyExport } from '../policy/export.js';
import type { PssExportOptions } from '../policy/export.js';
import { runPolicyTests } from '../policy/test-suite.js';
import type { PolicyTestRun, SuiteError } from '../policy/test-suite.js';
import type { ValidationAction } from '../policy/vap.js';
import { parsePssPolicy } from '../rules/pss/psa.js';
import { EXIT } from './exit.js';
import { escapeControls } from '../text.js';
import { emit, writeStdout } from './output.js';
import { parseKubeMinor } from './scan.js';

/** Flags of `mamori policy test DIR`. */
export interface PolicyTestFlags {
  format?: 'text' | 'json';
}

function errorLine(e: SuiteError): string {
  return `  ERROR ${e.file}${e.line !== undefined ? `:${e.line}` : ''}: ${e.message}`;
}

/** The text report of a run: each suite, each test with expected vs actual, then a summary. */
export function formatPolicyTestText(run: PolicyTestRun): string {
  const out: string[] = [];
  const suiteFiles = new Set(run.suites.map((s) => s.file));
  for (const e of run.errors) if (!suiteFiles.has(e.file) && !run.suites.some((s) => s.errors.includes(e))) out.push(errorLine(e));
  for (const suite of run.suites) {
    out.push(suite.file);
    for (const e of suite.errors) out.push(errorLine(e));
    for (const t of suite.tests) {
      const scope = [t.policy !== undefined ? `policy ${t.policy}` : '', t.binding !== undefined ? `binding ${t.binding}` : ''].filter((s) => s !== '').join(', ');
      if (t.passed) {
        out.push(`  PASS  ${t.name} (${t.expect}${scope !== '' ? `; ${scope}` : ''})`);
      } else {
        out.push(`  FAIL  ${t.name}${scope !== '' ? ` (${scope})` : ''}`);
        out.push(`        expected: ${t.expect}`);
        out.push(`        actual:   ${t.actual.join(', ')}`);
        if (t.reason !== undefined) out.push(`        ${t.reason}`);
        for (const m of t.messages) out.push(`        message: ${m}`);
      }
    }
  }
  const total = run.passed + run.failed;
  out.push('', `${run.suites.length} suite${run.suites.length === 1 ? '' : 's'}, ${total} test${total === 1 ? '' : 's'}: ${run.passed} passed, ${run.failed} failed${run.errors.length > 0 ? `, ${run.errors.length} error${run.errors.length === 1 ? '' : 's'}` : ''}`, '');
  return out.join('\n');
}

/** The exit code of a run: 2 with any suite/policy error, else 1 when a test failed, else 0. */
export function policyTestExitCode(run: PolicyTestRun): number {
  if (run.errors.length > 0) return EXIT.error;
  return run.failed > 0 ? EXIT.findings : EXIT.clean;
}

/** `mamori policy test DIR`: runs the suites, writes the report; returns the exit code. */
export function runPolicyTest(dir: string, flags: PolicyTestFlags = {}): number {
  const run = runPolicyTests(dir);
  writeStdout(flags.format === 'json' ? `${JSON.stringify(run, null, 2)}\n` : formatPolicyTestText(run));
  return policyTestExitCode(run);
}

/** Flags of `mamori policy export`. */
export interface PolicyExportFlags {
  /** `LEVEL[:VERSION]`: baseline or restricted, latest or v1.N; default restricted:latest. */
  pss?: string;
  /** The target cluster's Kubernetes version (1.30 or newer): caps `latest`, gates the CEL. */
  kubeVersion?: string;
  /** validationActions of the Pod bindings, comma-separated; default Deny. */
  actions?: string;
  /** validationActions of the pod-template bindings, comma-separated, or `none`; default Warn,Audit. */
  templateActions?: string;
  /** Namespaces the bindings skip, comma-separated ('' for none); default kube-system. */
  excludeNamespaces?: string;
  /** Write the YAML to this file instead of stdout. */
  output?: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Parses a comma-separated list of validationActions as the API server validates a binding's. */
function parseActions(flag: string, text: string, allowNone: boolean): ValidationAction[] {
  if (allowNone && text.trim() === 'none') return [];
  const actions: ValidationAction[] = [];
  for (const item of text.split(',').map((a) => a.trim())) {
    if (item !== 'Deny' && item !== 'Warn' && item !== 'Audit') {
      throw new MamoriError('usage', `${flag}: ${JSON.stringify(item)} is not a validation action: use Deny, Warn or Audit${allowNone ? ', or none' : ''}`);
    }
    if (actions.includes(item)) throw new MamoriError('usage', `${flag}: ${item} is given twice`);
    actions.push(item);
  }
  if (actions.includes('Deny') && actions.includes('Warn')) {
    throw new MamoriError('usage', `${flag}: Deny and Warn together are refused by the API server (a denied request gets no warnings)`);
  }
  return actions;
}

/** The options of an export from the command's flags; throws usage errors. */
export function policyExportOptions(flags: PolicyExportFlags): PssExportOptions {
  const policy = parsePssPolicy(flags.pss ?? 'restricted:latest');
  if (policy.level === 'privileged') {
    throw new MamoriError('usage', '--pss: the privileged level has no checks to export; use baseline or restricted');
  }
  const options: PssExportOptions = { level: policy.level, version: policy.version };
  if (flags.kubeVersion !== undefined) {
    const minor = parseKubeMinor(flags.kubeVersion);
    if (minor < MIN_EXPORT_KUBE_MINOR) {
      throw new MamoriError('usage', `--kube-version: admissionregistration.k8s.io/v1 ValidatingAdmissionPolicies need Kubernetes 1.${MIN_EXPORT_KUBE_MINOR} or newer (got ${flags.kubeVersion})`);
    }
    options.kubeMinor = minor;
  }
  if (flags.actions !== undefined) options.actions = parseActions('--actions', flags.actions, false);
  if (flags.templateActions !== undefined) options.templateActions = parseActions('--template-actions', flags.templateActions, true);
  if (flags.excludeNamespaces !== undefined) {
    const names = flags.excludeNamespaces.split(',').map((n) => n.trim()).filter((n) => n !== '');
    const bad = names.find((n) => !DNS_LABEL.test(n) || n.length > 63);
    if (bad !== undefined) throw new MamoriError('usage', `--exclude-namespaces: ${JSON.stringify(bad)} is not a namespace name`);
    options.excludeNamespaces = [...new Set(names)];
  }
  return options;
}

/** `mamori policy export`: writes the Pod Security checks as ValidatingAdmissionPolicies and bindings; returns the exit code. */
export function runPolicyExport(flags: PolicyExportFlags = {}): number {
  const options = policyExportOptions(flags);
  const objects = exportPssPolicies(options);
  emit(renderPolicyExport(objects, options), flags.output);
  if (flags.output !== undefined) {
    const policies = objects.filter((o) => o['kind'] === 'ValidatingAdmissionPolicy').length;
    process.stderr.write(`mamori: wrote ${policies} ValidatingAdmissionPolicies and ${objects.length - policies} bindings to ${escapeControls(flags.output)}\n`);
  }
  return EXIT.clean;
}
