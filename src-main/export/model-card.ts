/**
 * The model card (JSON for programs, Markdown for people) and the label map
 * of an exported run. The card is the contract with other programs: it says
 * exactly what input the model expects, and predict.mjs reads its numbers.
 */
import { COMPONENTS, type Taxonomy } from '../contract/domain.js';
import { composeGrapheme } from '../contract/grapheme.js';
import type { EpochRecord, EvalMetrics, ExportFormat, RunRecord, TrainConfig } from '../contract/training.js';

export const CARD_FORMAT = 'grapheme-studio-model';
/** 2: metrics keys in camelCase (macroRecall, hierarchicalRecall); version 1 cards still import. */
export const CARD_VERSION = 2;

/**
 * The preprocessing of src-main/ingest/preprocess.ts, as numbers another
 * program can use. test/integration/export pins that predict.mjs, which
 * implements it from these numbers, gives the app's pixels exactly.
 */
export const PREPROCESSING = {
  decode:
    'PNG or JPEG; alpha composited over white; converted to 8-bit grayscale (libvips/sharp greyscale: sRGB luminance)',
  inkThreshold: 80,
  margin: 0.06,
  steps: [
    'Invert: v = 255 - gray, so ink is bright and paper is 0.',
    'Ink box: the smallest rectangle holding every pixel with gray < 255 - inkThreshold (i.e. v > inkThreshold); a blank image keeps the whole frame.',
    'Square window: with the inclusive ink box x0..x1, y0..y1, bw = x1 - x0 + 1 and bh = y1 - y0 + 1: side = max(bw, bh) * (1 + 2 * margin), left = x0 + bw / 2 - side / 2, top = y0 + bh / 2 - side / 2 (fractional, in double precision); pixels outside the image count as paper (v = 0).',
    'Area resample to size x size: scale = side / size; taps = clamp(ceil(scale), 1, 4); step = scale / taps; output pixel (ox, oy) averages the taps x taps source samples at x = floor(left + ox * scale + (tx + 0.5) * step), y = floor(top + oy * scale + (ty + 0.5) * step), samples outside the image adding 0; the sum is multiplied by 1 / (taps * taps) (a double) and rounded half up to uint8.',
    "Scale: x = (v / 255 - mean) / std with the mean and std below (the training pixels' statistics).",
  ],
} as const;

export interface ModelCard {
  format: typeof CARD_FORMAT;
  version: typeof CARD_VERSION;
  exportedAt: string;
  appVersion: string;
  exportFormat: ExportFormat;
  run: {
    id: number;
    status: RunRecord['status'];
    createdAt: string;
    finishedAt: string | null;
    engine: string | null;
    device: string | null;
    /** The checkpoint these weights come from. */
    checkpoint: { epoch: number; step: number; batchInEpoch: number; savedAt: string };
  };
  config: TrainConfig;
  data: {
    train: number;
    val: number;
    splitMethod: string | null;
    /** Classes with at least one training image, per component. */
    classesInTraining: Record<(typeof COMPONENTS)[number], number>;
  };
  metrics: {
    /** Validation metrics of the epoch the weights come from. */
    exported: { epoch: number; val: EvalMetrics } | null;
    /** The epoch with the best validation hierarchical recall (its weights are not the exported ones unless it is the same epoch). */
    best: { epoch: number; val: EvalMetrics } | null;
  };
  epochs: Omit<EpochRecord, 'confusion'>[];
  input: {
    name: 'image';
    size: number;
    channels: 1;
    dtype: 'float32';
    layout: { tfjs: string; onnx: string };
    normalization: { mean: number; std: number };
    preprocessing: typeof PREPROCESSING;
  };
  outputs: { name: (typeof COMPONENTS)[number]; classes: number }[];
  outputNotes: { tfjs: string; onnx: string };
  /** Every other file of the export with its size and SHA-256, checked on import. */
  files: Record<string, { bytes: number; sha256: string }>;
}

/** The label map: class ids to glyphs, and how the three components compose a grapheme. */
export function labelMap(taxonomy: Taxonomy) {
  // The composition rule, read off composeGrapheme with placeholder glyphs.
  const template: Taxonomy = {
    root: [{ id: 0, glyph: '{root}' }],
    vowel: [{ id: 0, glyph: '{vowel}' }],
    consonant: [],
  };
  const rules = Object.fromEntries(
    taxonomy.consonant.map((k) => [String(k.id), composeGrapheme(template, 0, 0, k.id)]),
  );
  return {
    format: 'grapheme-studio-labels',
    version: 1,
    outputs: [...COMPONENTS],
    root: taxonomy.root.map(({ id, glyph }) => ({ id, glyph })),
    vowel: taxonomy.vowel.map(({ id, glyph }) => ({ id, glyph })),
    consonant: taxonomy.consonant.map(({ id, glyph }) => ({ id, glyph })),
    compose: {
      description:
        'grapheme = rule[consonant] with {root} and {vowel} replaced by the root and vowel glyphs (id 0 of vowel and consonant means none: empty glyph)',
      rule: rules,
    },
  };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
export const isoTime = (ms: number) => new Date(ms).toISOString();
export { iso };

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

function metricsTable(m: EvalMetrics): string {
  const rows = COMPONENTS.map(
    (c) => `| ${c} | ${pct(m[c].accuracy)} | ${pct(m[c].macroRecall)} | ${m[c].loss.toFixed(4)} |`,
  );
  return [
    `Hierarchical recall (2:1:1 macro recall): **${pct(m.hierarchicalRecall)}** on ${m.samples} validation images, loss ${m.loss.toFixed(4)}.`,
    '',
    '| head | accuracy | macro recall | loss |',
    '|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** The Markdown card: the same facts as model-card.json, for people. */
export function cardMarkdown(card: ModelCard): string {
  const { config, input, run, data, metrics } = card;
  const files = Object.entries(card.files)
    .map(([p, f]) => `| \`${p}\` | ${f.bytes} | \`${f.sha256.slice(0, 16)}…\` |`)
    .join('\n');
  return `# Grapheme Studio model: run ${run.id}

Bengali handwritten grapheme classifier with three heads (grapheme root, vowel
diacritic, consonant diacritic), exported ${card.exportedAt} by Grapheme Studio ${card.appVersion}.

## Model
- Architecture: ${config.arch} (base width ${config.baseWidth}), input ${input.size}x${input.size}x1, heads ${card.outputs.map((o) => `${o.name} (${o.classes})`).join(', ')}.
- Weights: checkpoint after epoch ${run.checkpoint.epoch}${run.checkpoint.batchInEpoch ? ` plus ${run.checkpoint.batchInEpoch} batches` : ''}, step ${run.checkpoint.step}, saved ${run.checkpoint.savedAt}; run status ${run.status}.
- Trained on ${run.engine ?? 'unknown engine'} (${run.device ?? 'unknown device'}).
- Training config: ${config.epochs} epochs, batch ${config.batch}, learning rate ${config.lr} (warm-up ${config.warmup} then cosine), loss weights ${config.lossWeights.join(':')}, augmentation ${config.augment ? 'on' : 'off'}, seed ${config.seed}.

## Data
${data.train} training and ${data.val} validation images (${data.splitMethod ?? 'split unknown'}).
Classes with training images: root ${data.classesInTraining.root}/168, vowel ${data.classesInTraining.vowel}/11, consonant ${data.classesInTraining.consonant}/7.

## Metrics
${metrics.exported ? `Exported weights (epoch ${metrics.exported.epoch}):\n\n${metricsTable(metrics.exported.val)}` : 'No validation metrics were recorded for the exported weights.'}
${metrics.best && metrics.best.epoch !== metrics.exported?.epoch ? `\nBest epoch (${metrics.best.epoch}; not the exported weights):\n\n${metricsTable(metrics.best.val)}\n` : ''}
## Input: what another program must do
${input.preprocessing.steps.map((s, i) => `${i + 1}. ${s}`).join('\n')}

- Decoding: ${input.preprocessing.decode}.
- inkThreshold = ${input.preprocessing.inkThreshold}, margin = ${input.preprocessing.margin}, size = ${input.size}.
- mean = ${input.normalization.mean}, std = ${input.normalization.std}.
- Tensor: float32, ${input.layout.onnx} for ONNX (\`model.onnx\`, input \`image\`); ${input.layout.tfjs} for TF.js. With one channel both layouts hold the same bytes in the same order (row-major, row by row).

## Output
- ONNX: ${card.outputNotes.onnx}
- TF.js: ${card.outputNotes.tfjs}
- Class ids map to glyphs in \`labels.json\`; the composed grapheme follows its \`compose.rule\` (keyed by the consonant id).

## Use
\`\`\`sh
npm install onnxruntime-node sharp
node predict.mjs image.png [more.png ...]
# or
pip install numpy pillow onnxruntime
python predict.py image.png [more.png ...]
\`\`\`
Load the TF.js model with \`tf.loadLayersModel('file://.../tfjs/model.json')\` (or over HTTP in a browser); \`model.predict\` returns probabilities, the same as \`model.onnx\` within 1e-4 (both end in a softmax).
\`grapheme-studio import-model --db PROJECT.sqlite --dir THIS_FOLDER\` brings it back into any project.

## Files
| file | bytes | sha256 |
|---|---|---|
${files}
`;
}
