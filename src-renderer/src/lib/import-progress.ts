/** The one-line account of an import in progress that the window shows (rows, rate, time left, stage). */
import type { ImportProgress } from '$contract/events';

const nf = new Intl.NumberFormat('en-US');

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

export function describeImport(p: ImportProgress): string {
  const unit = p.kind === 'folder' ? 'files' : 'rows';
  const parts = [
    p.total
      ? `Importing ${nf.format(p.done)} of ${nf.format(p.total)} ${unit}`
      : `Importing ${nf.format(p.done)} ${unit}`,
  ];
  if (p.fraction !== undefined) parts[0] += ` (${Math.floor(p.fraction * 100)}%)`;
  if (p.rate) parts.push(`${nf.format(Math.round(p.rate))} ${unit}/s`);
  if (p.etaSeconds !== null && p.etaSeconds !== undefined) parts.push(`about ${formatDuration(p.etaSeconds)} left`);
  if (p.rejected) parts.push(`${nf.format(p.rejected)} rejected`);
  if (p.stage) parts.push(p.stage);
  return parts.join(' · ');
}
