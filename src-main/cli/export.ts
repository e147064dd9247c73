/** CLI commands for models: export a run, import an exported folder. */
import { resolve } from 'node:path';
import type { Client } from '../contract/client.js';
import { EXPORT_FORMATS, type ExportFormat } from '../contract/training.js';
import { type CliIO, type Values, UsageError, need, printJson } from './args.js';

export const EXPORT_USAGE = `  export --db FILE --run ID --out DIR [--format tfjs|onnx|all] [--json]
                      write a run's model (TF.js, ONNX, labels, model card) into a new or empty folder
  import-model --db FILE --dir DIR [--json]
                      add an exported model folder to the project as a finished run
`;

/** parseArgs options these commands add to the CLI's (--run and --out exist already). */
export const EXPORT_OPTIONS = {
  format: { type: 'string' },
  dir: { type: 'string' },
} as const;

export async function exportCommand(
  client: Client,
  command: 'export' | 'import-model',
  values: Values,
  io: CliIO,
): Promise<number> {
  const json = values.json === true;
  const out = (o: unknown) => printJson(io, o);
  if (command === 'import-model') {
    const { runId, run } = await client.call('runs.importModel', { dir: resolve(need(values, 'dir')) });
    if (json)
      out({ run_id: runId, status: run.status, imported_from: run.summary.imported ?? null, config: run.config });
    else
      io.stderr.write(
        `Imported the model as run ${runId} (${run.config.arch}, ${run.config.size}x${run.config.size}).\n`,
      );
    return 0;
  }
  const raw = need(values, 'run');
  const runId = Number(raw);
  if (!Number.isInteger(runId) || runId < 1) throw new UsageError(`--run must be a run id, got ${JSON.stringify(raw)}`);
  const format = (values.format ?? 'all') as ExportFormat;
  if (!EXPORT_FORMATS.includes(format))
    throw new UsageError(`--format must be ${EXPORT_FORMATS.join(', ')}; got ${JSON.stringify(values.format)}`);
  const result = await client.call('runs.export', { runId, format, out: resolve(need(values, 'out')) });
  if (json) out({ run_id: result.runId, format: result.format, out: result.out, files: result.files });
  else {
    io.stderr.write(`Exported run ${runId} (${format}) to ${result.out}:\n`);
    for (const f of result.files) io.stderr.write(`  ${f.path}  ${f.bytes} bytes\n`);
  }
  return 0;
}
