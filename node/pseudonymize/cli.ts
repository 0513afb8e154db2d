/**
 * Top-level commands of issue 5: `key generate|map-show`,
 * `pseudonymize vcf|sam|bam|table`, `verify vcf|sam|bam|table`, `scan`.
 * Implementations load lazily from `cli-run.ts` so `genofed --help` stays
 * fast.
 */
import { Command, Option } from 'commander';

function tableOptions(cmd: Command): Command {
  return cmd
    .option('--id-column <names>', 'table: comma-separated id columns, pseudonymized as sample ids (default: the first column); the first is the person for date shifts')
    .option('--matrix', 'table: a genes x samples matrix: pseudonymize the header sample names, keep every other byte')
    .option('--date-columns <names>', 'table: comma-separated date columns (YYYY-MM-DD, YYYY/MM/DD, YYYYMMDD)')
    .addOption(new Option('--date-mode <mode>', 'table: shift dates by a per-person offset or keep the year only').choices(['shift', 'year']).default('shift'))
    .option('--keep-text <names>', 'table: comma-separated text columns to keep even if they look like free text (not identifier-like names)')
    .option('--keep <names>', 'table: allow-list: only these columns (plus the id and date columns) can be kept; identifier-like names are refused')
    .option('--missing-values <list>', "table: comma-separated cell values meaning missing (default: '',NA,N/A,NaN,nan,null,NULL,.)")
    .addOption(new Option('--delimiter <d>', 'table: field delimiter (default: sniffed)').choices(['tab', 'comma']));
}

export function registerPseudonymizeCommands(program: Command): void {
  const key = program.command('key').description('site pseudonymization key (never leaves the site)');
  key
    .command('generate')
    .description('create a site key: 256 random bits, file mode 0600, never overwrites; prints the key id and version only')
    .requiredOption('--out <keyfile>', 'key file to create')
    .option('--key-version <n>', 'key version mixed into every pseudonym (rotate to unlink)', '1')
    .action(async (opts: { out: string; keyVersion: string }) => {
      const { runKeyGenerate } = await import('./cli-run.js');
      await runKeyGenerate(opts);
    });
  key
    .command('map-show')
    .description('decrypt a re-identification map and print it (original ids: run only where the site allows re-identification)')
    .requiredOption('--map <file>', 'map file written by pseudonymize --map')
    .requiredOption('--key-file <keyfile>', 'the site key it was written with')
    .option('--json', 'JSON output')
    .action(async (opts: { map: string; keyFile: string; json?: boolean }) => {
      const { runMapShow } = await import('./cli-run.js');
      await runMapShow(opts);
    });

  tableOptions(
    program
      .command('pseudonymize')
      .description('pseudonymize a VCF, SAM, BAM or table with the site key (atomic output, nothing partial left on error)')
      .addArgument(new Command().createArgument('<format>', 'vcf, sam, bam or table').choices(['vcf', 'sam', 'bam', 'table']))
      .requiredOption('--in <file>', 'input file')
      .requiredOption('--out <file>', 'output file (bgzip/gzip input gives BGZF output)')
      .requiredOption('--key-file <keyfile>', 'site key file (mode 0600)')
      .addOption(new Option('--mode <mode>', 'strict also drops non-standard VCF header lines, ##SAMPLE/##PEDIGREE, and OQ/OA/OC/OP/XA/SA tags').choices(['default', 'strict']).default('default'))
      .option('--regions <bed>', 'keep only records overlapping these BED regions (e.g. a gene panel)')
      .option('--map <file>', 'write the re-identification table here, encrypted with a key derived from the site key')
      .option('--report <file>', 'write a JSON report (counts, key id and version; no ids)')
      .option('--force', 'replace an existing output file')
      .option('--no-progress', 'no progress bar even on a terminal'),
  ).action(async (format: string, opts: Record<string, unknown>) => {
    const { runPseudonymize } = await import('./cli-run.js');
    await runPseudonymize(format, opts);
  });

  tableOptions(
    program
      .command('verify')
      .description('check a pseudonymized file against its original; exit 0 only if every check passes')
      .addArgument(new Command().createArgument('<format>', 'vcf, sam, bam or table').choices(['vcf', 'sam', 'bam', 'table']))
      .requiredOption('--original <file>', 'the original file')
      .requiredOption('--pseudonymized <file>', 'the pseudonymized file')
      .option('--key-file <keyfile>', 'site key: check exact pseudonyms and byte-identical re-pseudonymization')
      .addOption(new Option('--mode <mode>', 'mode used when pseudonymizing').choices(['default', 'strict']))
      .option('--regions <bed>', 'the --regions used when pseudonymizing')
      .option('--no-bcftools', 'vcf: do not run bcftools view even if installed')
      .option('--json', 'JSON output'),
  ).action(async (format: string, opts: Record<string, unknown>) => {
    const { runVerify } = await import('./cli-run.js');
    await runVerify(format, opts);
  });

  program
    .command('scan')
    .description('report identifier-bearing elements (by kind and location, never the value) without changing anything; exit 1 when any is found')
    .argument('<file>', 'VCF (plain/bgzip), SAM, BAM or table')
    .option('--denylist <file>', 'strings that must not appear (one per line)')
    .addOption(new Option('--format <format>', 'override format sniffing').choices(['vcf', 'sam', 'bam', 'table']))
    .option('--json', 'JSON output')
    .action(async (file: string, opts: { denylist?: string; format?: string; json?: boolean }) => {
      const { runScan } = await import('./cli-run.js');
      await runScan(file, opts);
    });
}
