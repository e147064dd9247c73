/**
 * One optimizer step on a batch of dataset rows, whichever engine runs it:
 * the tfjs engines through `trainStep` on the LayersModel's variables, the
 * wgsl engine through its fixed plan on the GPU. `sync` brings the model and
 * the optimizer up to date before validation and checkpoints (a no-op for
 * tfjs, whose variables are the model's).
 */
import * as tf from '@tensorflow/tfjs';
import { COMPONENTS } from '../contract/domain.js';
import type { TrainConfig } from './config.js';
import type { Dataset } from './data.js';
import { batchArrays, makeBatch, trainingForward, trainStep } from './step.js';
import { WgslTrainer, wgslContext } from './webgpu/engine.js';

export interface StepResult {
  loss: number;
  root: number;
  vowel: number;
  consonant: number;
}

export interface Stepper {
  step(
    ds: Dataset,
    rows: readonly number[],
    norm: { mean: number; std: number },
    random: (() => number) | null,
    lr: number,
  ): Promise<StepResult>;
  sync(): Promise<void>;
  /**
   * Re-estimates batch norm's moving statistics as the plain average over these batches (no
   * augmentation, no weight change); false where the engine cannot (only the native path can).
   */
  recalibrate(
    ds: Dataset,
    batches: readonly (readonly number[])[],
    norm: { mean: number; std: number },
  ): Promise<boolean>;
  dispose(): void;
}

function tfjsStepper(model: tf.LayersModel, optimizer: tf.Optimizer, config: TrainConfig): Stepper {
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const net = trainingForward(model, config.arch);
  return {
    async step(ds, rows, norm, random, lr) {
      // Adam reads its rate on every step; the field is only marked protected.
      (optimizer as unknown as { learningRate: number }).learningRate = lr;
      const { x, labels } = makeBatch(ds, rows, norm, random, config.strongAugment);
      const heads: tf.Scalar[] = [];
      const lossT = trainStep(net, optimizer, variables, x, labels, config.lossWeights, heads, config.labelSmoothing);
      const loss = (await lossT.data())[0]!;
      const [root, vowel, consonant] = await Promise.all(heads.map(async (h) => (await h.data())[0]!));
      tf.dispose([x, lossT, ...heads, ...Object.values(labels)]);
      return { loss, root: root!, vowel: vowel!, consonant: consonant! };
    },
    sync: async () => {},
    async recalibrate(ds, batches, norm) {
      if (!net.fused) return false;
      for (let k = 0; k < batches.length; k++) {
        const { x, labels } = makeBatch(ds, batches[k]!, norm, null);
        tf.dispose(net.forward(x));
        net.afterStep(1 / (k + 1));
        tf.dispose([x, ...Object.values(labels)]);
      }
      return true;
    },
    dispose: () => {},
  };
}

async function wgslStepper(model: tf.LayersModel, optimizer: tf.Optimizer, config: TrainConfig): Promise<Stepper> {
  const trainer = await WgslTrainer.create(wgslContext(), model, config);
  await trainer.loadFrom(model, optimizer);
  return {
    step(ds, rows, norm, random, lr) {
      const { images, labels } = batchArrays(ds, rows, norm, random, config.strongAugment);
      const interleaved = new Uint32Array(rows.length * 3);
      COMPONENTS.forEach((c, h) => labels[c].forEach((v, i) => (interleaved[i * 3 + h] = v)));
      return trainer.step(images, interleaved, lr);
    },
    sync: () => trainer.saveTo(model, optimizer),
    recalibrate: async () => false,
    dispose: () => trainer.dispose(),
  };
}

export function createStepper(
  engine: string,
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  config: TrainConfig,
): Promise<Stepper> {
  return engine === 'wgsl'
    ? wgslStepper(model, optimizer, config)
    : Promise.resolve(tfjsStepper(model, optimizer, config));
}
