/** What a GET under /download/ asks for: a run's export as a ZIP archive, or the labels CSV. */
import { HTTP } from '../contract/channels.js';
import { fail, type Envelope } from '../contract/envelope.js';
import { EXPORT_FORMATS, type ExportFormat } from '../contract/training.js';
import type { DownloadRequest } from '../service/service.js';

export function downloadRequest(
  url: URL,
): { ok: true; value: DownloadRequest } | { ok: false; error: Envelope<never> } {
  const name = url.pathname.slice(HTTP.downloadPrefix.length);
  if (name === 'labels.csv') return { ok: true, value: { kind: 'labels' } };
  const run = /^run-(\d{1,9})\.zip$/.exec(name);
  if (!run) return { ok: false, error: fail('not_found', `Nothing to download at ${url.pathname}.`) };
  const format = (url.searchParams.get('format') ?? 'all') as ExportFormat;
  if (!EXPORT_FORMATS.includes(format))
    return { ok: false, error: fail('bad_input', `format must be ${EXPORT_FORMATS.join(', ')}; got "${format}"`) };
  return { ok: true, value: { kind: 'run', runId: Number(run[1]), format } };
}
