/** Linear warm-up to the peak rate, then cosine decay to 1% of it. */
export function learningRate(step: number, totalSteps: number, c: { lr: number; warmup: number }): number {
  const warm = Math.max(1, Math.round(totalSteps * c.warmup));
  if (step < warm) return (c.lr * (step + 1)) / warm;
  const t = Math.min(1, (step - warm) / Math.max(1, totalSteps - warm));
  const floor = 0.01 * c.lr;
  return floor + (c.lr - floor) * 0.5 * (1 + Math.cos(Math.PI * t));
}
