/**
 * Adam over the whole model in one dispatch: parameters, moments and
 * gradients are flat buffers, the gradient with GRAD_SLOTS partial slices
 * (split-K filter gradients) that are summed here. The update is tfjs'
 * AdamOptimizer's: m' = b1 m + (1 - b1) g, v' = b2 v + (1 - b2) g^2,
 * p -= lr * (m' / (1 - b1^t)) / (sqrt(v' / (1 - b2^t)) + eps); the
 * step-dependent lr, 1 - b1^t and 1 - b2^t come in the per-step uniform.
 * (tfjs runs about 14 elementwise passes per variable: DESIGN.md section 4.)
 */
import { f32Bits, grid1d, linearMain, type KernelSource } from './kernel.js';

export interface AdamConfig {
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** tf.train.adam(lr)'s defaults; epsilon is the float32 backend's (1e-7). */
export const TFJS_ADAM: AdamConfig = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };

/** Bindings: params, grads ([slots, P]), m, v. */
export function adam(P: number, slots: number, c: AdamConfig): KernelSource {
  return {
    label: 'adam',
    bindings: [
      { name: 'params', access: 'rw' },
      { name: 'grads', access: 'read' },
      { name: 'm', access: 'rw' },
      { name: 'v', access: 'rw' },
    ],
    shape: {
      fields: ['P', 'SLOTS', 'B1', 'B2', 'EPS'],
      values: [P, slots, f32Bits(c.beta1), f32Bits(c.beta2), f32Bits(c.epsilon)],
    },
    groups: () => grid1d(P),
    body: linearMain(
      'shape.P',
      `var g = 0.0;
  for (var s = 0u; s < shape.SLOTS; s++) { g += grads[s * shape.P + i]; }
  let b1 = bitcast<f32>(shape.B1);
  let b2 = bitcast<f32>(shape.B2);
  let m1 = b1 * m[i] + (1.0 - b1) * g;
  let v1 = b2 * v[i] + (1.0 - b2) * g * g;
  m[i] = m1;
  v[i] = v1;
  params[i] -= dims.lr * (m1 / dims.c1) / (sqrt(v1 / dims.c2) + bitcast<f32>(shape.EPS));`,
    ),
  };
}
