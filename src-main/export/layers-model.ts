/**
 * Reads a TF.js LayersModel folder (model.json + weight files) without
 * TensorFlow.js: the topology as JSON and every weight as a Float32Array.
 * Every check names the file it failed on, because this is also how an
 * imported folder is validated before anything is written.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../contract/envelope.js';

export interface KerasLayer {
  name: string;
  className: string;
  config: Record<string, unknown>;
  /** Inputs of the layer's first (only) call: [layer name, node index, tensor index]. */
  inbound: [string, number, number][];
}

export interface Weight {
  shape: number[];
  data: Float32Array;
}

export interface LayersModelFiles {
  /** model.json as parsed. */
  json: Record<string, unknown>;
  layers: KerasLayer[];
  inputs: [string, number, number][];
  outputs: [string, number, number][];
  /** Weights by their manifest name (e.g. `stem_conv/kernel`), in manifest order. */
  weights: Map<string, Weight>;
  /** The weight files as read, by file name. */
  weightFiles: Map<string, Buffer>;
}

/** Weight file names are plain names inside the folder: a manifest cannot point elsewhere. */
const SAFE_FILE = /^(?!\.{1,2}$)[A-Za-z0-9._-]{1,200}$/;

const bad = (message: string) => new AppError('bad_input', message);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseJson(file: string, what: string): unknown {
  if (!existsSync(file)) throw bad(`${what} is missing: ${file}`);
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw bad(`${what} is not valid JSON (${(err as Error).message}): ${file}`);
  }
}

function tensorRef(v: unknown, file: string): [string, number, number] {
  if (!Array.isArray(v) || typeof v[0] !== 'string' || typeof v[1] !== 'number' || typeof v[2] !== 'number')
    throw bad(`${file}: a layer reference is malformed: ${JSON.stringify(v)}`);
  return [v[0], v[1], v[2]];
}

function parseLayers(topology: unknown, file: string) {
  const modelConfig = isObj(topology) && isObj(topology.model_config) ? topology.model_config : topology;
  const config = isObj(modelConfig) ? modelConfig.config : undefined;
  if (
    !isObj(config) ||
    !Array.isArray(config.layers) ||
    !Array.isArray(config.input_layers) ||
    !Array.isArray(config.output_layers)
  )
    throw bad(`${file}: modelTopology is not a functional LayersModel (layers, input_layers, output_layers)`);
  const layers = config.layers.map((l: unknown): KerasLayer => {
    if (!isObj(l) || typeof l.class_name !== 'string' || !isObj(l.config) || !Array.isArray(l.inbound_nodes))
      throw bad(`${file}: a layer entry is malformed: ${JSON.stringify(l).slice(0, 200)}`);
    const name = typeof l.name === 'string' ? l.name : String(l.config.name);
    if (l.inbound_nodes.length > 1)
      throw bad(`${file}: layer ${name} is shared (called ${l.inbound_nodes.length} times)`);
    const node = (l.inbound_nodes[0] ?? []) as unknown[];
    return { name, className: l.class_name, config: l.config, inbound: node.map((r) => tensorRef(r, file)) };
  });
  return {
    layers,
    inputs: config.input_layers.map((r: unknown) => tensorRef(r, file)),
    outputs: config.output_layers.map((r: unknown) => tensorRef(r, file)),
  };
}

const BYTES: Record<string, number> = { float32: 4 };

/** Reads and checks `dir/model.json` and its weight files; throws AppError('bad_input') naming the file. */
export function readLayersModel(dir: string): LayersModelFiles {
  const file = join(dir, 'model.json');
  const json = parseJson(file, 'model.json');
  if (!isObj(json) || !isObj(json.modelTopology) || !Array.isArray(json.weightsManifest))
    throw bad(`${file}: not a TF.js LayersModel (modelTopology and weightsManifest expected)`);
  const { layers, inputs, outputs } = parseLayers(json.modelTopology, file);
  const weights = new Map<string, Weight>();
  const weightFiles = new Map<string, Buffer>();
  for (const group of json.weightsManifest as unknown[]) {
    if (!isObj(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights))
      throw bad(`${file}: a weightsManifest entry needs paths and weights`);
    const buffers: Buffer[] = [];
    for (const p of group.paths as unknown[]) {
      if (typeof p !== 'string' || !SAFE_FILE.test(p))
        throw bad(`${file}: weight file name ${JSON.stringify(p)} is not a plain file name in the model folder`);
      const path = join(dir, p);
      if (!existsSync(path) || !statSync(path).isFile()) throw bad(`weight file ${p} is missing: ${path}`);
      const buf = readFileSync(path);
      weightFiles.set(p, buf);
      buffers.push(buf);
    }
    const data = Buffer.concat(buffers);
    const names = (group.paths as string[]).join(', ');
    let offset = 0;
    for (const spec of group.weights as unknown[]) {
      if (!isObj(spec) || typeof spec.name !== 'string' || !Array.isArray(spec.shape))
        throw bad(`${file}: a weight spec is malformed: ${JSON.stringify(spec).slice(0, 200)}`);
      const dtype = String(spec.dtype ?? 'float32');
      if (!BYTES[dtype] || spec.quantization) throw bad(`${file}: weight ${spec.name} has unsupported type ${dtype}`);
      const shape = spec.shape as number[];
      if (!shape.every((d) => Number.isInteger(d) && d >= 0)) throw bad(`${file}: weight ${spec.name} has a bad shape`);
      const bytes = shape.reduce((a, b) => a * b, 1) * BYTES[dtype]!;
      if (offset + bytes > data.length) break;
      // Copied out: a Float32Array view needs 4-byte alignment, which a concatenated Buffer need not have.
      const values = new Float32Array(bytes / 4);
      new Uint8Array(values.buffer).set(data.subarray(offset, offset + bytes));
      weights.set(spec.name, { shape, data: values });
      offset += bytes;
    }
    const expected = (group.weights as Obj[]).reduce(
      (n, s) => n + (s.shape as number[]).reduce((a, b) => a * b, 1) * 4,
      0,
    );
    if (data.length !== expected)
      throw bad(
        `weight file ${names} is ${data.length} bytes but model.json describes ${expected}: the weights are corrupt or belong to another model`,
      );
  }
  return { json, layers, inputs, outputs, weights, weightFiles };
}

/** The weight `param` (kernel, bias, gamma, ...) of a layer; tfjs may suffix names with _N when it uniquifies variables. */
export function layerWeight(model: LayersModelFiles, layer: string, param: string): Weight | undefined {
  const exact = model.weights.get(`${layer}/${param}`);
  if (exact) return exact;
  const re = new RegExp(`^${layer.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/${param}_\\d+$`);
  for (const [name, w] of model.weights) if (re.test(name)) return w;
  return undefined;
}
