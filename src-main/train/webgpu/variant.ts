/**
 * Which kernel variant a plan uses, by what the device offers (device.ts `chooseVariant`). f16:
 * forward activations stored as f16, every product and sum in f32 (gradients, weights and Adam stay
 * f32). subgroups: the batch-norm kernels finalize their statistics with subgroup sums instead of
 * one thread per channel looping over the row splits. f32 without either is the reference.
 */
export interface Variant {
  f16: boolean;
  subgroups: boolean;
  /**
   * f32 buffers holding exactly what f16 ones would (each stored activation rounded to f16): the
   * reference the f16 plan must reproduce, in the tests; never chosen for training.
   */
  roundF16?: boolean;
}

/** How a kernel stores activations: f16, f32, or f32 rounded to f16 values. */
export type ActStorage = 'f32' | 'f16' | 'rounded';
export const actStorage = (v: Variant): ActStorage => (v.f16 ? 'f16' : v.roundF16 ? 'rounded' : 'f32');
export const F32: Variant = { f16: false, subgroups: false };

/** The variant in words, for the engine's device line in the Train view and the bench. */
export function variantWords(v: Variant): string {
  const parts = [v.f16 ? 'f16 activations, f32 math' : v.roundF16 ? 'f32 rounded to f16' : 'f32'];
  if (v.subgroups) parts.push('subgroup reductions');
  return parts.join(' + ');
}
