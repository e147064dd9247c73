/**
 * Engines: one interface over the TensorFlow.js backends. `auto` tries them
 * fastest first and keeps the first that loads and passes a one-batch
 * self-check against the pure-JS reference, recording why each was skipped.
 * The native and WebGPU packages are optional installs, loaded dynamically.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import type { EngineOption } from '../contract/training.js';
import type { EngineChoice } from './config.js';

export type EngineName = Exclude<EngineChoice, 'auto'>;
export interface Engine {
  name: EngineName;
  /** The tfjs backend name it registers. */
  backend: string;
  device: string;
  /** Why this engine: what was tried before it and what happened. */
  reason: string;
  /** Trains on a GPU (CUDA or WebGPU): the default input size is larger there. */
  gpu: boolean;
}

/**
 * Fastest first, as measured (DESIGN.md section 4). `wgsl` only on a real GPU adapter: on a software
 * one (lavapipe) the CPU engines are faster, so `auto` skips it there and `--engine wgsl` forces it.
 */
export const AUTO_ORDER: readonly EngineName[] = ['wgsl', 'tensorflow', 'webgpu', 'wasm', 'cpu'];

// A variable specifier keeps tsc from resolving packages that may be absent.
const optionalImport = (name: string): Promise<unknown> => import(name);
const cpuModel = () => (cpus()[0]?.model ?? 'CPU').replace(/\s+/g, ' ').trim();
const message = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

/**
 * Whether an optional tfjs-node package has its native addon built. Importing one without it is not
 * harmless: tfjs-node-gpu registers its 155 kernels before it finds the addon missing, so the native
 * package loaded next printed "kernel ... is already registered" 155 times on every CLI run.
 */
function addonBuilt(pkg: string): boolean {
  try {
    const lib = join(dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`)), 'lib');
    return readdirSync(lib).some((d) => existsSync(join(lib, d, 'tfjs_binding.node')));
  } catch {
    return false;
  }
}

async function loadTensorflow(): Promise<Omit<Engine, 'reason'>> {
  let pkg = '@tensorflow/tfjs-node-gpu';
  try {
    if (!addonBuilt(pkg)) throw new Error(`${pkg} has no native addon here`);
    await optionalImport(pkg);
  } catch {
    pkg = '@tensorflow/tfjs-node';
    try {
      await optionalImport(pkg);
    } catch (err) {
      throw new Error(`neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node loads (${message(err)})`);
    }
  }
  if (!(await tf.setBackend('tensorflow'))) throw new Error(`${pkg} loaded but the 'tensorflow' backend did not start`);
  const backend = tf.backend() as unknown as { isUsingGpuDevice?: boolean; binding?: { TF_Version?: string } };
  const version = backend.binding?.TF_Version ?? '?';
  const device = backend.isUsingGpuDevice
    ? `GPU via CUDA (${pkg}, libtensorflow ${version})`
    : `${cpuModel()} x${cpus().length} (${pkg}, libtensorflow ${version})`;
  return { name: 'tensorflow', backend: 'tensorflow', device, gpu: backend.isUsingGpuDevice === true };
}

async function loadWebgpu(): Promise<Omit<Engine, 'reason'>> {
  const dawn = (await optionalImport('webgpu')) as {
    create: (flags: string[]) => GPULike;
    globals?: Record<string, unknown>;
  };
  if (dawn.globals) Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create([]);
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error('the webgpu package loaded but found no GPU adapter');
  Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  await optionalImport('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error("the 'webgpu' backend did not start");
  const info = adapter.info ?? {};
  const device = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'GPU';
  const { softwareAdapter } = await import('./webgpu/device.js');
  return {
    name: 'webgpu',
    backend: 'webgpu',
    device: `${device} (WebGPU via Dawn)`,
    gpu: !softwareAdapter(device, info),
  };
}
interface GPULike {
  requestAdapter(): Promise<{ info?: Record<string, string> } | null>;
}

async function loadWasm(): Promise<Omit<Engine, 'reason'>> {
  await import('@tensorflow/tfjs-backend-wasm');
  // The threaded build gains under 10% in Node (DESIGN.md) and collapses when the cores are
  // shared: its pool waits on starved threads (0.2 cores busy at load 6 on 2 cores).
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  const { registerWasmTrainingKernels } = await import('./wasm-kernels.js');
  registerWasmTrainingKernels();
  if (!(await tf.setBackend('wasm'))) throw new Error("the 'wasm' backend did not start");
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  return { name: 'wasm', backend: 'wasm', device: `${cpuModel()} (WebAssembly${simd ? ' SIMD' : ''})`, gpu: false };
}

async function loadCpu(): Promise<Omit<Engine, 'reason'>> {
  await tf.setBackend('cpu');
  return { name: 'cpu', backend: 'cpu', device: `${cpuModel()} (pure JavaScript)`, gpu: false };
}

/**
 * The wgsl engine trains on its own device (webgpu/); validation, checkpoints and prediction run
 * the LayersModel on the fastest CPU backend that loads, which the self-check then checks.
 */
async function loadWgsl(forced: boolean): Promise<Omit<Engine, 'reason'>> {
  const { openGpu } = await import('./webgpu/device.js');
  const { setWgslContext } = await import('./webgpu/engine.js');
  const flags = (process.env.GRAPHEME_WGSL_FLAGS ?? '').split(/\s+/).filter(Boolean);
  const ctx = await openGpu({ flags });
  if (ctx.adapter.cpu && !forced) {
    ctx.destroy();
    throw new Error(`the only WebGPU adapter is a CPU one (${ctx.adapter.name})`);
  }
  let backend = '';
  for (const load of [loadTensorflow, loadWasm, loadCpu]) {
    try {
      backend = (await load()).backend;
      break;
    } catch {
      // the next one
    }
  }
  setWgslContext(ctx);
  return {
    name: 'wgsl',
    backend,
    device: `${ctx.adapter.name} (own WGSL kernels via Dawn; validation on tfjs ${backend})`,
    gpu: !ctx.adapter.cpu,
  };
}

const LOADERS: Record<EngineName, (forced: boolean) => Promise<Omit<Engine, 'reason'>>> = {
  wgsl: loadWgsl,
  tensorflow: loadTensorflow,
  webgpu: loadWebgpu,
  wasm: loadWasm,
  cpu: loadCpu,
};

/**
 * One training step of a small conv net (strided and unit-stride convs,
 * max-pool, mean, dense, softmax cross-entropy) on this engine and on the
 * pure-JS cpu backend; the gradients must agree.
 */
export async function selfCheck(backend: string): Promise<void> {
  const run = async (name: string) => {
    await tf.setBackend(name);
    const rand = (shape: number[], seed: number) => tf.randomUniform(shape, -1, 1, 'float32', seed);
    // Even sides like the model's (wasm's MaxPoolGrad is wrong when "same" pads the top row).
    const x = rand([2, 12, 12, 3], 1);
    const params = [rand([3, 3, 3, 4], 2), rand([3, 3, 4, 5], 3), rand([5, 3], 4)];
    const onehot = tf.oneHot(tf.tensor1d([0, 2], 'int32'), 3);
    const f = (w1: tf.Tensor, w2: tf.Tensor, d: tf.Tensor) => {
      let h = tf.relu(tf.conv2d(x as tf.Tensor4D, w1 as tf.Tensor4D, 2, 'same'));
      h = tf.conv2d(h, w2 as tf.Tensor4D, 1, 'same');
      h = tf.maxPool(h, 3, 2, 'same');
      const logits = tf.matMul(tf.mean(h, [1, 2]) as tf.Tensor2D, d as tf.Tensor2D);
      return tf.losses.softmaxCrossEntropy(onehot, logits) as tf.Scalar;
    };
    const { value, grads } = tf.valueAndGrads((w1: tf.Tensor, w2: tf.Tensor, d: tf.Tensor) => f(w1, w2, d))(params);
    const out = [await value.data(), ...(await Promise.all(grads.map((g) => g.data())))];
    tf.dispose([x, onehot, value, ...params, ...grads]);
    return out.map((a) => Array.from(a));
  };
  const got = await run(backend);
  const want = await run('cpu');
  await tf.setBackend(backend);
  const names = ['loss', 'conv1 gradient', 'conv2 gradient', 'dense gradient'];
  got.forEach((g, i) => {
    const w = want[i]!;
    for (let j = 0; j < w.length; j++) {
      if (!Number.isFinite(g[j]!)) throw new Error(`self-check: ${names[i]} is not finite`);
      if (Math.abs(g[j]! - w[j]!) > 1e-3 + 1e-2 * Math.abs(w[j]!))
        throw new Error(`self-check: ${names[i]}[${j}] is ${g[j]} on ${backend}, ${w[j]} on the reference`);
    }
  });
}

/**
 * Engines treated as not installed: GRAPHEME_HIDE_ENGINES=tensorflow,webgpu
 * shows (and lets tests check) what a machine without them gets.
 */
export function hiddenEngines(env: NodeJS.ProcessEnv = process.env): Set<string> {
  return new Set(
    (env.GRAPHEME_HIDE_ENGINES ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

/** Loads one engine and checks it; throws the reason it cannot train here. */
async function loadChecked(name: EngineName, forced: boolean): Promise<Omit<Engine, 'reason'>> {
  if (hiddenEngines().has(name)) throw new Error('hidden by GRAPHEME_HIDE_ENGINES');
  const engine = await LOADERS[name](forced);
  await selfCheck(engine.backend);
  return engine;
}

/** Loads the chosen engine (or the best one for `auto`) and makes it the active backend. */
export async function selectEngine(choice: EngineChoice): Promise<Engine> {
  // The self-check's pure-JS reference made tfjs print "install our node backend" on every run, even
  // where that backend is the one running; tfjs's other warnings concern WebGL, which is not used here.
  tf.env().set('PROD', true);
  const order = choice === 'auto' ? AUTO_ORDER : [choice];
  const skipped: string[] = [];
  for (const name of order) {
    try {
      const engine = await loadChecked(name, choice !== 'auto');
      const why =
        choice === 'auto'
          ? `auto: ${name} is the fastest engine that loads and passes the self-check` +
            (skipped.length ? `; skipped ${skipped.join('; ')}` : '')
          : `${name} requested`;
      return { ...engine, reason: why };
    } catch (err) {
      if (choice !== 'auto') throw new Error(`engine ${name} is not available: ${message(err)}`);
      skipped.push(`${name}: ${message(err)}`);
    }
  }
  throw new Error(`no engine works: ${skipped.join('; ')}`);
}

/**
 * The engine `auto` picks here, and for every engine a user can choose whether it would run (loaded
 * as a forced choice, self-check included) or why not, so the settings can grey out the ones that
 * would only give a failed run. Probed once per app in a process of its own (backends are global).
 */
export async function probeEngines(): Promise<{ engine: Engine; options: EngineOption[] }> {
  const engine = await selectEngine('auto');
  const options: EngineOption[] = [];
  for (const name of AUTO_ORDER) {
    if (name === engine.name) {
      options.push({ engine: name, available: true, note: engine.device, gpu: engine.gpu });
      continue;
    }
    try {
      const other = await loadChecked(name, true);
      options.push({ engine: name, available: true, note: other.device, gpu: other.gpu });
    } catch (err) {
      options.push({ engine: name, available: false, note: message(err), gpu: false });
    }
  }
  await tf.setBackend(engine.backend);
  return { engine, options };
}
