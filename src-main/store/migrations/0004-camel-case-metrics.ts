/**
 * Schema 4: the metrics in run records take the contract's camelCase names. Runs
 * stored before it wrote `macro_recall` and `hierarchical_recall` into the JSON
 * of runs.summary and run_epochs.metrics.
 */
export const RENAMED_METRIC_KEYS = [
  ['macro_recall', 'macroRecall'],
  ['hierarchical_recall', 'hierarchicalRecall'],
] as const;

/**
 * Renames the keys in JSON text written by JSON.stringify. `"macro_recall":` can only be a key there:
 * a quote inside a string value is escaped, and no value is followed by a colon.
 */
export function renameMetricKeys(json: string): string {
  return RENAMED_METRIC_KEYS.reduce((s, [from, to]) => s.replaceAll(`"${from}":`, `"${to}":`), json);
}

// The same rename in SQL, so the migration runs inside the migration transaction like the others.
const renamed = (column: string) =>
  RENAMED_METRIC_KEYS.reduce((sql, [from, to]) => `replace(${sql}, '"${from}":', '"${to}":')`, column);

export default `
UPDATE runs SET summary = ${renamed('summary')} WHERE instr(summary, '_recall":') > 0;
UPDATE run_epochs SET metrics = ${renamed('metrics')} WHERE instr(metrics, '_recall":') > 0;
`;
