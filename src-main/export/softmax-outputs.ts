/**
 * The checkpoint's heads end in logits (softmax lives in the loss). An exported
 * TF.js model ends in probabilities, like model.onnx: a softmax layer after
 * each head, added to model.json's topology (no weights change). Importing an
 * export removes them again, so the run's checkpoint is logits as always.
 */
import type { KerasLayer, LayersModelFiles } from './layers-model.js';

type Obj = Record<string, unknown>;
type Ref = [string, number, number];

const SUFFIX = '_probs';

/** The topology's `config` (layers, input_layers, output_layers), wherever TF.js nested it. */
function modelConfig(json: Obj): Obj {
  const topology = json.modelTopology as Obj;
  const outer = (topology.model_config as Obj | undefined) ?? topology;
  return outer.config as Obj;
}

/** model.json with a softmax layer `<head>_probs` after each output; outputs are then probabilities. */
export function withSoftmaxOutputs(json: Obj): Obj {
  const copy = structuredClone(json);
  const config = modelConfig(copy);
  const outputs = config.output_layers as Ref[];
  const layers = config.layers as Obj[];
  config.output_layers = outputs.map(([name, node, index]): Ref => {
    const probs = name + SUFFIX;
    layers.push({
      class_name: 'Activation',
      name: probs,
      config: { name: probs, trainable: false, dtype: 'float32', activation: 'softmax' },
      inbound_nodes: [[[name, node, index, {}]]],
    });
    return [probs, 0, 0];
  });
  return copy;
}

const isAddedSoftmax = (l: KerasLayer | undefined): l is KerasLayer =>
  !!l && l.className === 'Activation' && l.config.activation === 'softmax' && l.name.endsWith(SUFFIX);

/** The model with the export's softmax outputs removed (unchanged if it has none). */
export function withoutSoftmaxOutputs(model: LayersModelFiles): LayersModelFiles {
  const byName = new Map(model.layers.map((l) => [l.name, l]));
  const added = model.outputs.map(([n]) => byName.get(n));
  if (!added.every(isAddedSoftmax)) return model;
  const dropped = new Set(added.map((l) => l.name));
  const outputs = added.map((l) => l.inbound[0]!);
  const json = structuredClone(model.json);
  const config = modelConfig(json);
  config.layers = (config.layers as Obj[]).filter((l) => !dropped.has(String(l.name ?? (l.config as Obj).name)));
  config.output_layers = outputs;
  return { ...model, json, layers: model.layers.filter((l) => !dropped.has(l.name)), outputs };
}
