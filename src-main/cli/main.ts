import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { AppError } from '../contract/envelope.js';
import type { Client } from '../contract/client.js';
import type { ImportSummary, Stats } from '../contract/domain.js';
import { COMMAND_HELP, commandHelp, globalHelp } from './help.js';
import { lazyProject } from './lazy-project.js';
import { type CliIO, type Values, UsageError, need, printJson } from './args.js';
import { ProgressBar } from './progress.js';
import { serveCommand } from './serve.js';
import { EXPORT_OPTIONS, exportCommand } from './export.js';
import { TRAIN_OPTIONS, trainCommand } from './train.js';
import { PRETRAIN_OPTIONS, packCommand, pretrainCommand, renderSheetCommand } from './pretrain.js';

function parse(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      options: {
        db: { type: 'string' },
        folder: { type: 'string' },
        parquet: { type: 'string', multiple: true },
        labels: { type: 'string' },
        out: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        ...TRAIN_OPTIONS,
        ...EXPORT_OPTIONS,
        ...PRETRAIN_OPTIONS,
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Runs one CLI command; returns the exit code. */
export async function runCli(
  argv: string[],
  io: CliIO = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  let json = argv.includes('--json');
  let command: string | undefined;
  const out = (obj: unknown) => printJson(io, obj);
  try {
    const { values, positionals } = parse(argv);
    json = values.json === true;
    command = positionals[0];
    if (command === 'help') {
      const topic = positionals[1];
      if (topic !== undefined && !COMMAND_HELP[topic]) throw new UsageError(`unknown command: ${topic}`);
      io.stdout.write(topic ? commandHelp(topic) : globalHelp());
      return 0;
    }
    if (!command) {
      (values.help ? io.stdout : io.stderr).write(globalHelp());
      return values.help ? 0 : 2;
    }
    // Before anything is opened or written: an unknown command leaves no project file.
    if (!COMMAND_HELP[command]) {
      const name = command;
      command = undefined;
      throw new UsageError(`unknown command: ${name}`);
    }
    if (values.help) {
      io.stdout.write(commandHelp(command));
      return 0;
    }
    if (positionals.length > 1) {
      // Extra positionals after --parquet FILE are more parquet files.
      if (command === 'import' && values.parquet) values.parquet.push(...positionals.slice(1));
      else if (command === 'predict' && values.image) values.image.push(...positionals.slice(1));
      else throw new UsageError(`unexpected argument: ${positionals[1]}`);
    }
    // These need no project.
    if (command === 'pretrain') return await pretrainCommand(values, io, json, out);
    if (command === 'render-sheet') return await renderSheetCommand(values, io, json, out);
    if (command === 'pack-pretrained') return await packCommand(values, io, json, out);
    const db = resolve(need(values, 'db'));
    if (command === 'serve') return await serveCommand(db, values, io);
    const { client, close } = lazyProject(db);
    try {
      return await runCommand(client, command, db, values, io, json, out);
    } finally {
      close();
    }
  } catch (err) {
    const usage = err instanceof UsageError;
    const message = err instanceof AppError || usage ? err.message : `unexpected error: ${(err as Error).message}`;
    if (!(err instanceof AppError) && !usage) io.stderr.write(`${(err as Error).stack}\n`);
    if (json) out({ error: { code: err instanceof AppError ? err.code : usage ? 'usage' : 'internal', message } });
    else {
      const help = !usage ? '' : command && COMMAND_HELP[command] ? commandHelp(command) : globalHelp();
      io.stderr.write(`grapheme-studio: ${message}\n${help ? `\n${help}` : ''}`);
    }
    return usage ? 2 : 1;
  }
}

async function runCommand(
  client: Client,
  command: string,
  db: string,
  values: Values,
  io: CliIO,
  json: boolean,
  out: (o: unknown) => void,
): Promise<number> {
  switch (command) {
    case 'import':
      return await importCommand(client, values, io, json, out);
    case 'stats': {
      const stats = await client.call('stats.get', {});
      if (json) out(stats);
      else io.stdout.write(formatStats(stats));
      return 0;
    }
    case 'export-labels': {
      const result = await client.call('export.labels', { out: resolve(need(values, 'out')) });
      if (json) out(result);
      else io.stderr.write(`Wrote ${result.rows} labels to ${result.path}\n`);
      return 0;
    }
    case 'train':
    case 'resume':
    case 'eval':
    case 'predict':
      return await trainCommand(client, command, db, values, io);
    case 'export':
    case 'import-model':
      return await exportCommand(client, command, values, io);
    default:
      throw new UsageError(`unknown command: ${command}`);
  }
}

async function importCommand(client: Client, values: Values, io: CliIO, json: boolean, out: (o: unknown) => void) {
  const labels = typeof values.labels === 'string' ? resolve(values.labels) : undefined;
  const folder = typeof values.folder === 'string' ? resolve(values.folder) : undefined;
  const parquet = Array.isArray(values.parquet) ? values.parquet.map((p) => resolve(p)) : undefined;
  if (folder && parquet) throw new UsageError('use --folder or --parquet, not both');
  if (!folder && !parquet && !labels) throw new UsageError('import needs --folder, --parquet or --labels');

  const bar = new ProgressBar('import', io.stderr, !json && io.stderr.isTTY === true);
  const off = client.on('import.progress', (p) =>
    bar.update(
      p.done,
      p.total,
      `new ${p.imported} dup ${p.duplicates} rejected ${p.rejected}${p.stage ? ` · ${p.stage}` : ''}`,
      p,
    ),
  );
  let summary: ImportSummary;
  try {
    if (folder) summary = await client.call('import.folder', { folder, ...(labels ? { labels } : {}) });
    else if (parquet) summary = await client.call('import.parquet', { files: parquet, ...(labels ? { labels } : {}) });
    else summary = await client.call('import.labels', { csv: labels! });
  } finally {
    off();
    bar.end();
  }
  const { imported, duplicates, labeled, rejected } = summary;
  if (json) out({ imported, duplicates, labeled, rejected });
  else {
    io.stderr.write(
      `Imported ${imported} images (${duplicates} already present), labeled ${labeled}, rejected ${rejected.length}.\n`,
    );
    for (const r of rejected.slice(0, 50)) io.stderr.write(`  rejected ${r.source}: ${r.reason}\n`);
    if (rejected.length > 50) io.stderr.write(`  ... and ${rejected.length - 50} more (use --json for all)\n`);
  }
  return 0;
}

function formatStats(st: Stats): string {
  const lines = [
    `images      ${st.images}`,
    `labeled     ${st.labeled}`,
    `unlabeled   ${st.unlabeled}`,
    `unreadable  ${st.unreadable}`,
    `skipped     ${st.skipped}`,
  ];
  for (const [c, counts] of Object.entries(st.classCounts)) {
    const present = counts.filter((n) => n > 0).length;
    lines.push(`${c.padEnd(11)} ${present}/${counts.length} classes with examples`);
  }
  return lines.join('\n') + '\n';
}
