/**
 * Adam for the native engine in one TensorFlow op per variable. tfjs' Adam
 * makes 14 elementwise passes per variable (each its own op call: about 1,600
 * calls and a quarter of a ResNet-34 step on CPU); TensorFlow's
 * ResourceApplyAdam does the whole update in one multithreaded pass. It works
 * on resource variables, so each parameter and its two moments live in one
 * (VarHandleOp) while the model's tfjs variable stays the source of truth:
 * copied in before the update, read back after it (the read shares the buffer).
 *
 * The arithmetic is tfjs Adam's: TensorFlow folds the bias correction into the
 * rate and adds epsilon to sqrt(v) before correction, so epsilon is scaled by
 * sqrt(1 - beta2^t) each step, which makes both formulas the same. The state
 * reads and writes in tfjs Adam's format (getWeights/setWeights), so
 * checkpoints stay interchangeable between engines.
 */
import * as tf from '@tensorflow/tfjs';

type NamedTensor = { name: string; tensor: tf.Tensor };

interface Binding {
  TF_ATTR_TYPE: number;
  TF_ATTR_STRING: number;
  TF_ATTR_BOOL: number;
  TF_ATTR_SHAPE: number;
  TF_FLOAT: number;
}
interface NativeBackend {
  binding: Binding;
  executeMultipleOutputs(name: string, attrs: unknown[], inputs: tf.Tensor[], n: number): tf.Tensor[];
}

/** A resource variable: the handle tensor TensorFlow gives back (a 'string' tensor in tfjs). */
type Handle = tf.Tensor;

let handles = 0;

class Resources {
  constructor(private readonly b: NativeBackend) {}
  private get n() {
    return this.b.binding;
  }
  private type = () => ({ name: 'dtype', type: this.n.TF_ATTR_TYPE, value: this.n.TF_FLOAT });

  /** A new float32 resource variable holding a copy of `value`. */
  create(value: tf.Tensor): Handle {
    const attrs = [
      this.type(),
      { name: 'shape', type: this.n.TF_ATTR_SHAPE, value: value.shape },
      { name: 'container', type: this.n.TF_ATTR_STRING, value: '' },
      { name: 'shared_name', type: this.n.TF_ATTR_STRING, value: `grapheme_adam_${process.pid}_${handles++}` },
    ];
    const h = this.b.executeMultipleOutputs('VarHandleOp', attrs, [], 1)[0]!;
    this.assign(h, value);
    return h;
  }
  assign(h: Handle, value: tf.Tensor): void {
    this.b.executeMultipleOutputs('AssignVariableOp', [this.type()], [h, value], 0);
  }
  read(h: Handle): tf.Tensor {
    return this.b.executeMultipleOutputs('ReadVariableOp', [this.type()], [h], 1)[0]!;
  }
  destroy(h: Handle): void {
    const attrs = [{ name: 'ignore_lookup_error', type: this.n.TF_ATTR_BOOL, value: true }];
    this.b.executeMultipleOutputs('DestroyResourceOp', attrs, [h], 0);
    h.dispose();
  }
  applyAdam(param: Handle, m: Handle, v: Handle, scalars: tf.Scalar[], grad: tf.Tensor): void {
    const attrs = [
      { name: 'T', type: this.n.TF_ATTR_TYPE, value: this.n.TF_FLOAT },
      { name: 'use_locking', type: this.n.TF_ATTR_BOOL, value: false },
      { name: 'use_nesterov', type: this.n.TF_ATTR_BOOL, value: false },
    ];
    this.b.executeMultipleOutputs('ResourceApplyAdam', attrs, [param, m, v, ...scalars, grad], 0);
  }
}

interface Slot {
  param: Handle;
  m: Handle;
  v: Handle;
  /** State names as tfjs Adam writes them: `${variable}/m`, `${variable}/v`. */
  mName: string;
  vName: string;
}

/** Drop-in for tf.train.adam on the 'tensorflow' backend. */
export class NativeAdam extends tf.AdamOptimizer {
  private readonly res: Resources;
  private slots: Slot[] = [];
  /** Moments restored by setWeights, waiting for their variable's first step. */
  private restored: { name: string; tensor: tf.Tensor }[][] = [];
  /** Tensors handed out by getWeights, freed on the next call (the checkpoint code does not free them). */
  private exported: tf.Tensor[] = [];

  constructor(learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon?: number) {
    super(learningRate, beta1, beta2, epsilon);
    const backend = tf.backend() as unknown as NativeBackend;
    if (tf.getBackend() !== 'tensorflow' || typeof backend.executeMultipleOutputs !== 'function')
      throw new Error('NativeAdam needs the tensorflow backend');
    this.res = new Resources(backend);
  }

  override applyGradients(grads: tf.NamedTensorMap | NamedTensor[]): void {
    const list = Array.isArray(grads) ? grads : Object.entries(grads).map(([name, tensor]) => ({ name, tensor }));
    const t = this.iterations + 1;
    const scalars = [
      Math.pow(this.beta1, t),
      Math.pow(this.beta2, t),
      this.learningRate,
      this.beta1,
      this.beta2,
      this.epsilon * Math.sqrt(1 - Math.pow(this.beta2, t)),
    ].map((s) => tf.scalar(s, 'float32'));
    list.forEach(({ name, tensor: grad }, i) => {
      const variable = tf.engine().registeredVariables[name];
      if (!variable) throw new Error(`NativeAdam: no variable named ${name}`);
      if (grad == null) return;
      const slot = (this.slots[i] ??= this.makeSlot(i, name, variable));
      this.res.assign(slot.param, variable);
      this.res.applyAdam(slot.param, slot.m, slot.v, scalars, grad);
      const updated = this.res.read(slot.param);
      variable.assign(updated);
      updated.dispose();
    });
    tf.dispose(scalars);
    this.incrementIterations();
  }

  private makeSlot(i: number, name: string, variable: tf.Variable): Slot {
    const [m, v] = this.restored[i] ?? [];
    const zeros = m && v ? null : tf.zerosLike(variable);
    const slot = {
      param: this.res.create(variable),
      m: this.res.create(m?.tensor ?? zeros!),
      v: this.res.create(v?.tensor ?? zeros!),
      mName: m?.name ?? `${name}/m`,
      vName: v?.name ?? `${name}/v`,
    };
    zeros?.dispose();
    if (m && v) tf.dispose([m.tensor, v.tensor]);
    delete this.restored[i];
    return slot;
  }

  override async getWeights(): Promise<NamedTensor[]> {
    tf.dispose(this.exported);
    const m = this.slots.map((s) => ({ name: s.mName, tensor: this.res.read(s.m) }));
    const v = this.slots.map((s) => ({ name: s.vName, tensor: this.res.read(s.v) }));
    this.exported = [...m, ...v].map((w) => w.tensor);
    return [{ name: 'iter', tensor: tf.scalar(this.iterations, 'int32') }, ...m, ...v];
  }

  override async setWeights(weights: NamedTensor[]): Promise<void> {
    this.iterations_ = (await weights[0]!.tensor.data())[0]!;
    const moments = weights.slice(1);
    const count = moments.length / 2;
    this.disposeSlots();
    this.restored = Array.from({ length: count }, (_, i) => [
      { name: moments[i]!.name, tensor: tf.keep(moments[i]!.tensor.clone()) },
      { name: moments[count + i]!.name, tensor: tf.keep(moments[count + i]!.tensor.clone()) },
    ]);
  }

  private disposeSlots(): void {
    for (const s of this.slots) for (const h of [s.param, s.m, s.v]) this.res.destroy(h);
    this.slots = [];
    tf.dispose(this.restored.flat().map((w) => w.tensor));
    this.restored = [];
  }

  override dispose(): void {
    this.disposeSlots();
    tf.dispose(this.exported);
    this.exported = [];
    super.dispose();
  }
}
