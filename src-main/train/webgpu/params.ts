/**
 * The flat buffers of the wgsl engine and the tfjs LayersModel they mirror:
 * every trainable weight at an offset of one parameter buffer (so Adam is
 * one dispatch), every moving mean and variance at an offset of one
 * batch-norm state buffer. Copying in and out by the layers' own weight
 * names keeps the LayersModel the checkpoint, export and inference artifact,
 * and lets a checkpoint move between engines.
 */
import * as tf from '@tensorflow/tfjs';

export interface FlatEntry {
  /** The weight's layer-qualified name, e.g. `s1b1_a_conv/kernel`. */
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

export interface FlatLayout {
  entries: FlatEntry[];
  total: number;
  offsetOf(name: string): number;
}

function layout(weights: tf.LayerVariable[]): FlatLayout {
  let total = 0;
  const entries = weights.map((w) => {
    const shape = w.shape as number[];
    const size = shape.reduce((a, b) => a * b, 1);
    const e = { name: w.originalName, shape, offset: total, size };
    total += size;
    return e;
  });
  const byName = new Map(entries.map((e) => [e.name, e.offset]));
  return {
    entries,
    total,
    offsetOf(name) {
      const o = byName.get(name);
      if (o === undefined) throw new Error(`the model has no weight ${name}`);
      return o;
    },
  };
}

/** Trainable weights in the model's order (the order Adam's state is saved in). */
export const paramLayout = (model: tf.LayersModel) => layout(model.trainableWeights);
/** Moving means and variances of the batch norms. */
export const bnStateLayout = (model: tf.LayersModel) => layout(model.nonTrainableWeights);

/** The model's current values of `weights`, packed in `l`'s order. */
export async function pack(weights: tf.LayerVariable[], l: FlatLayout): Promise<Float32Array> {
  const out = new Float32Array(l.total);
  await Promise.all(weights.map(async (w, i) => out.set(await w.read().data(), l.entries[i]!.offset)));
  return out;
}

/** Writes packed values back into the model's variables. */
export function unpack(weights: tf.LayerVariable[], l: FlatLayout, flat: Float32Array): void {
  weights.forEach((w, i) => {
    const e = l.entries[i]!;
    w.write(tf.tensor(flat.subarray(e.offset, e.offset + e.size), e.shape));
  });
}
