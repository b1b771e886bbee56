/**
 * `gwlb-validate`: the GWLB path validator for any CloudFormation template (JSON or YAML) or cdk.out
 * directory, for people (human report) and CI (JSON, SARIF 2.1.0); the exit code says whether there
 * were errors, only warnings, or unreadable input (see args.ts).
 */
import * as fs from 'fs';
import { validateTemplateFiles } from '../validate';
import { ExitCode, parseCli, ReportFormat, templateFilesOf, USAGE, UsageError } from './args';
import { exitCodeOf, humanReport, jsonReport, Locator, sarifReport, summarize } from './report';

export function run(argv: readonly string[], write: (text: string) => void, writeError: (text: string) => void): ExitCode {
  let options;
  try {
    options = parseCli(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      writeError(`gwlb-validate: ${e.message}\n\n${USAGE}`);
      return ExitCode.USAGE;
    }
    throw e;
  }
  if (options.help) {
    write(USAGE);
    return ExitCode.CLEAN;
  }
  const files = [...new Set(options.inputs.flatMap(templateFilesOf))];
  const findings = validateTemplateFiles(files, { inspectAllInternetFacing: options.inspectAllInternetFacing });
  const locator = new Locator();
  const report = options.format === ReportFormat.SARIF ? sarifReport(findings, locator)
    : options.format === ReportFormat.JSON ? jsonReport(findings, files, locator) : humanReport(findings, files.length, locator);
  if (options.output) {
    fs.writeFileSync(options.output, report);
  } else {
    write(report);
  }
  return exitCodeOf(summarize(findings));
}

if (require.main === module) {
  process.exitCode = run(process.argv.slice(2), (t) => process.stdout.write(t), (t) => process.stderr.write(t));
}
