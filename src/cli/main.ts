import { Command, CommanderError, Option } from 'commander';
import { MamoriError } from '../errors.js';
import { VERSION } from '../version.js';
import { EXIT } from './exit.js';


function reportFatal(error: unknown): void {
  if (error instanceof MamoriError) {
    const at = error.file === undefined ? '' : `${error.file}${error.line === undefined ? '' : `:${error.line}`}: `;
    process.stderr.write(`mamori: ${at}${error.message}\n`);
  } else {
    process.stderr.write(`mamori: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exitCode = EXIT.error;
}

const program = new Command('mamori')
  .description('Kubernetes security for every lifecycle phase: Pod Security Standards exactly as Pod Security Admission, and more')
  .version(VERSION)
  .showHelpAfterError()
  .exitOverride();

program
  .command('scan')
  .description('scan manifests (files, directories, or - for stdin; default .)')
  .argument('[paths...]', 'files or directories to scan; - reads stdin')
  .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json', 'sarif', 'junit', 'html', 'policyreport']).default('text'))
  .option('-o, --output <file>', 'write the report to a file instead of stdout')
  .option('--pss <level[:version]>', 'Pod Security policy: privileged, baseline or restricted, and latest or v1.N (default: restricted:latest)')
  .option('--kube-version <version>', 'the Kubernetes version of the target cluster (e.g. 1.36): `latest` means its newest Pod Security policy')
  .option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity: critical, high, medium, low, info, none (default: low)')
  .option('-c, --config <file>', 'configuration file (default: .mamori.yaml if present)')
  .option('--rules <patterns>', "run only the rules matching these comma-separated ids or globs (e.g. 'pss-*')")
  .option('--skip-rules <patterns>', 'do not run the rules matching these comma-separated ids or globs')
  .option('--no-color', 'never colour the text output')
  .option('--baseline <file>', 'report and fail only on findings not in this baseline (the others are listed as suppressed)')
  .option('--write-baseline <file>', 'record the findings of this scan as the baseline, and exit 0 unless an input could not be read')
  .action(async (paths: string[], opts: { format: string; output?: string; pss?: string; kubeVersion?: string; failOn?: string; config?: string; rules?: string; skipRules?: string; color: boolean; baseline?: string; writeBaseline?: string }) => {
    const { runScan } = await import('./scan.js');
    process.exitCode = runScan(paths, opts);
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
