/** Full counts, scaled by SOAK_SCALE (0.1 for a quick look, 1 for the real soak). */
export function scaled(full: number): number {
  const scale = Number(process.env.SOAK_SCALE ?? 1);
  return Math.max(1, Math.round(full * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
}
