import { Command, CommanderError, Option } from 'commander';
import { MamoriError } from '../errors.js';
import { escapeControls } from '../text.js';
import { VERSION } from '../version.js';
import { EXIT } from './exit.js';
import { writeStdout } from './output.js';


function reportFatal(error: unknown): void {
  if (error instanceof MamoriError) {
    // Names and messages may hold text of the input: one line, control characters escaped.
    const at = error.file === undefined ? '' : `${escapeControls(error.file)}${error.line === undefined ? '' : `:${error.line}`}: `;
    process.stderr.write(`mamori: ${at}${escapeControls(error.message)}\n`);
  } else {
    process.stderr.write(`mamori: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exitCode = EXIT.error;
}

const program = new Command('mamori')
  .description('Kubernetes security for every lifecycle phase: Pod Security Standards exactly as Pod Security Admission, and more')
  .version(VERSION)
  .showHelpAfterError()
  .exitOverride()
  // Help and version text go through the same writer as reports: a closed or full stdout is exit 2, not a stack trace.
  .configureOutput({ writeOut: (text) => writeStdout(text) });

program
  .command('scan')
  .description('scan manifests (files, directories, or - for stdin; default .)')
  .argument('[paths...]', 'files or directories to scan; - reads stdin')
  .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json', 'sarif', 'junit', 'html', 'policyreport']).default('text'))
  .option('-o, --output <file>', 'write the report to a file instead of stdout (- for stdout)')
  .option('--pss <level[:version]>', 'Pod Security policy: privileged, baseline or restricted, and latest or v1.N (default: restricted:latest)')
  .option('--kube-version <version>', 'the Kubernetes version of the target cluster (e.g. 1.36): `latest` means its newest Pod Security policy')
  .option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity: critical, high, medium, low, info, none (default: low)')
  .option('-c, --config <file>', 'configuration file (default: .mamori.yaml if present)')
  .option('--rules <patterns>', "run only the rules matching these comma-separated ids or globs (e.g. 'pss-*')")
  .option('--skip-rules <patterns>', 'do not run the rules matching these comma-separated ids or globs')
  .option('--no-color', 'never colour the text output')
  .option('--baseline <file>', 'report and fail only on findings not in this baseline (the others are listed as suppressed)')
  .option('--write-baseline <file>', 'record the findings of this scan as the baseline, and exit 0 unless an input could not be read')
  .option('--policy <path>', 'ValidatingAdmissionPolicy files or directories to evaluate as rules policy:<name> (repeatable)', (value: string, previous: string[]) => [...previous, value], [] as string[])
  .option('--skip-non-manifests', 'pass over named files that hold no Kubernetes object (CI configuration, Helm values, unrendered templates) as a directory walk does, instead of reporting them as errors: for the file lists of pre-commit and git')
  .action(async (paths: string[], opts: { format: string; output?: string; pss?: string; kubeVersion?: string; failOn?: string; config?: string; rules?: string; skipRules?: string; color: boolean; baseline?: string; writeBaseline?: string; policy: string[] }) => {
    const { runScan } = await import('./scan.js');
    process.exitCode = await runScan(paths, opts);
  });

program
  .command('fix')
  .description('apply the safe automatic fixes of the findings: print them as a unified diff, or edit the files with --write')
  .argument('[paths...]', 'files or directories to fix (default .)')
  .option('-w, --write', 'edit the files in place instead of printing a diff')
  .option('--pss <level[:version]>', 'Pod Security policy: privileged, baseline or restricted, and latest or v1.N (default: restricted:latest)')
  .option('--kube-version <version>', 'the Kubernetes version of the target cluster (e.g. 1.36): `latest` means its newest Pod Security policy')
  .option('-c, --config <file>', 'configuration file (default: .mamori.yaml if present)')
  .option('--rules <patterns>', "apply only the fixes of the rules matching these comma-separated ids or globs (e.g. 'pss-*')")
  .option('--skip-rules <patterns>', 'do not run the rules matching these comma-separated ids or globs')
  .action(async (paths: string[], opts: { write?: boolean; pss?: string; kubeVersion?: string; config?: string; rules?: string; skipRules?: string }) => {
    const { runFix } = await import('./fix.js');
    process.exitCode = await runFix(paths, {
      write: opts.write === true,
      pss: opts.pss,
      kubeVersion: opts.kubeVersion,
      config: opts.config,
      rules: opts.rules?.split(','),
      skipRules: opts.skipRules?.split(','),
    });
  });

const admission = program.command('admission').description('the admission webhook: serve it, print its manifests, make its certificates');
admission
  .command('serve')
  .description('serve the admission webhook over HTTPS: POST /validate, POST /mutate, GET /healthz, /readyz, /metrics')
  .option('--port <port>', 'port to listen on', '8443')
  .option('--host <address>', 'address to listen on (default: every address)')
  .option('--tls-cert <file>', 'serving certificate (PEM), reloaded when it changes', '/etc/mamori/tls/tls.crt')
  .option('--tls-key <file>', 'its private key (PEM)', '/etc/mamori/tls/tls.key')
  .option('-c, --config <file>', 'configuration file (default: .mamori.yaml if present)')
  .option('--pss <level[:version]>', "Pod Security policy of catalog modes (default: the configuration's, else restricted:latest)")
  .option('--fail-on <severity>', "catalog modes deny findings at or above this severity (default: the configuration's failOn, else low)")
  .option('--kube-version <version>', 'the Kubernetes version of the cluster: `latest` means its newest Pod Security policy')
  .addOption(new Option('--failure-policy <policy>', 'answer when a review cannot be decided in time or fails: Fail refuses it, Ignore allows it with a warning (default: the configuration\'s admission.failurePolicy, else Fail)').choices(['Fail', 'Ignore']))
  .option('--timeout <ms>', 'time budget of one review in milliseconds (default: admission.timeoutMs, else 2000)')
  .option('--max-in-flight-bytes <size>', 'most bytes of request bodies held at once, e.g. 64Mi; a request past it is answered 429 with Retry-After (default: admission.maxInFlightBytes, else 64Mi)')
  .option('--default-enforce <mode>', 'enforce mode of namespaces without labels: privileged|baseline|restricted[:VERSION] or catalog (default: admission.defaults.enforce, else baseline:latest)')
  .option('--default-warn <mode>', 'warn mode of namespaces without labels (default: admission.defaults.warn, else restricted:latest)')
  .option('--default-audit <mode>', 'audit mode of namespaces without labels (default: admission.defaults.audit, else restricted:latest)')
  .option('--exempt-usernames <list>', 'comma-separated usernames exempt from checks')
  .option('--exempt-namespaces <list>', 'comma-separated namespaces exempt from checks')
  .option('--exempt-runtime-classes <list>', 'comma-separated RuntimeClasses exempt from checks')
  .option('--kubeconfig <file>', 'watch namespace labels in the cluster of this kubeconfig')
  .option('--in-cluster', "watch namespace labels with the pod's service account (the default inside a pod)")
  .option('--namespace-labels <file>', 'YAML of Namespace objects whose labels to use (outside a cluster)')
  .addOption(new Option('--authorizer <source>', "who answers the policies' authorizer checks: api (SubjectAccessReviews of the API server) or none (offline: every check errors) (default: the configuration's admission.authorizer, else api with a cluster connection, else none)").choices(['api', 'none']))
  .option('--cert-reload-interval <ms>', 'how often the certificate files are checked for changes', '2000')
  .option('--policy <path>', 'ValidatingAdmissionPolicy files or directories to enforce beside the catalog, as the API server would (repeatable)', (value: string, previous: string[]) => [...previous, value], [] as string[])
  .action(async (opts: import('./admission.js').AdmissionServeFlags) => {
    const { runAdmissionServe } = await import('./admission.js');
    process.exitCode = await runAdmissionServe(opts);
  });
admission
  .command('certs')
  .description('write a CA (ca.crt) and a serving certificate for the webhook Service (tls.crt, tls.key), for clusters without cert-manager')
  .requiredOption('-o, --out <dir>', 'directory to write ca.crt, tls.crt and tls.key into (created if missing)')
  .option('--service <name>', 'the webhook Service name', 'mamori-webhook')
  .option('-n, --namespace <namespace>', 'the webhook namespace', 'mamori-system')
  .option('--days <days>', 'validity of the serving certificate in days', '365')
  .option('--ca-days <days>', 'validity of the CA in days', '3650')
  .addOption(new Option('--key-size <bits>', 'RSA key size').choices(['2048', '3072', '4096']).default('2048'))
  .option('--cluster-domain <domain>', "the cluster's DNS domain", 'cluster.local')
  .option('--force', 'replace existing files')
  .action(async (opts: { out: string; service: string; namespace: string; days: string; caDays: string; keySize: string; clusterDomain: string; force?: boolean }) => {
    const { runAdmissionCerts } = await import('./admission-certs.js');
    process.exitCode = runAdmissionCerts(opts);
  });
admission
  .command('manifests')
  .description('print the manifests that run the webhook in a cluster (pipe to kubectl apply -f -)')
  .option('--certs <dir>', 'the directory `mamori admission certs` wrote: ca.crt becomes the caBundle, tls.crt and tls.key the Secret')
  .option('--ca-bundle <file>', "PEM CA certificate for the webhook configurations' caBundle (you create the TLS Secret)")
  .option('--cert-manager [issuer]', 'cert-manager issues the certificate and injects the CA: NAME, Issuer/NAME or ClusterIssuer/NAME; none: a self-signed CA')
  .option('-n, --namespace <ns>', 'namespace of the webhook (default: mamori-system)')
  .option('--image <image>', `server image (default: ghcr.io/mamori-dev/mamori:${VERSION}); repo@sha256:<digest> pins it`)
  .option('--replicas <n>', 'server replicas, 1 to 100 (default: 2)')
  .option('--failure-policy <policy>', "Fail or Ignore: the validating webhook's failurePolicy and the server's answer when it cannot decide (default: Fail)")
  .option('--timeout-seconds <n>', 'how long the API server waits per call, 1 to 30 (default: 5)')
  .option('--mode <mode>', 'validate, mutate or both (default: validate)')
  .option('--priority-class <name>', "the pods' priorityClassName, '' for none (default: system-cluster-critical)")
  .option('--exclude-namespaces <list>', "comma-separated namespaces to skip, besides kube-system, kube-node-lease and the webhook's own")
  .option('-c, --config <file>', 'mamori configuration to ship as a ConfigMap and pass to the server')
  .action(async (opts: import('./admission-manifests.js').AdmissionManifestsFlags) => {
    const { runAdmissionManifests } = await import('./admission-manifests.js');
    process.exitCode = runAdmissionManifests(opts);
  });

const policy = program.command('policy').description('ValidatingAdmissionPolicy tools');
policy
  .command('test')
  .description('run the policy test suites (mamori-test.yaml, *.mamori-test.yaml) under DIR')
  .argument('<dir>', 'a folder searched recursively, or one suite file')
  .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
  .action(async (dir: string, opts: { format: 'text' | 'json' }) => {
    const { runPolicyTest } = await import('./policy.js');
    process.exitCode = runPolicyTest(dir, { format: opts.format });
  });
policy
  .command('export')
  .description('write the Pod Security Standards checks as ValidatingAdmissionPolicies and bindings (kubectl apply -f)')
  .option('--pss <level[:version]>', 'baseline or restricted, and latest or v1.N (default: restricted:latest)')
  .option('--kube-version <version>', 'the Kubernetes version of the target cluster, 1.30 or newer: caps `latest` and the CEL used')
  .option('--actions <list>', 'validationActions of the Pod bindings: Deny, Warn, Audit, comma-separated (default: Deny)')
  .option('--template-actions <list>', 'validationActions of the pod-template bindings, or none (default: Warn,Audit)')
  .option('--exclude-namespaces <list>', "namespaces the bindings skip, comma-separated, '' for none (default: kube-system)")
  .option('-o, --output <file>', 'write the YAML to a file instead of stdout')
  .action(async (opts: import('./policy.js').PolicyExportFlags) => {
    const { runPolicyExport } = await import('./policy.js');
    process.exitCode = runPolicyExport(opts);
  });

program
  .command('rules')
  .description('list the rule catalog, or show one rule')
  .argument('[id]', 'a rule id')
  .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json', 'md']).default('text'))
  .action(async (id: string | undefined, opts: { format: 'text' | 'json' | 'md' }) => {
    const { runRules } = await import('./rules.js');
    process.exitCode = runRules(id, opts.format);
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? EXIT.clean : EXIT.error;
  } else {
    reportFatal(error);
  }
}
