/** Each command's own help: what it does, its options, an example (`CMD --help`, `help CMD`). */
import { ENGINES } from '../contract/training.js';
import { DEFAULT_CONFIG as D } from '../train/config.js';

interface CommandHelp {
  usage: string;
  what: string;
  options: [string, string][];
  example: string;
}

const DB: [string, string] = [
  '--db FILE',
  'the project file (created if missing; nothing is written before the options are valid)',
];
const JSON_OPT: [string, string] = ['--json', 'print exactly one JSON object on stdout'];

export const COMMAND_HELP: Record<string, CommandHelp> = {
  import: {
    usage:
      'import --db FILE (--folder DIR | --parquet FILE...) [--labels CSV] [--json]\n       import --db FILE --labels CSV [--json]',
    what: 'Imports PNG/JPEG images of a folder (recursively) or Bengali.AI parquet files, and applies a labels CSV. Bad files and rows are listed with their reason; what is stored stays. Running it again adds only what is new.',
    options: [
      DB,
      ['--folder DIR', 'a folder of images; names are paths inside it without extension (scan0000/r0c0)'],
      ['--parquet FILE...', 'competition parquet files (image_id + 32,332 pixel columns)'],
      ['--labels CSV', 'labels by `path` (relative to the folder) or `image_id`, in train.csv columns'],
      JSON_OPT,
    ],
    example: 'grapheme-studio import --db my.sqlite --folder scans/ --labels scans/labels.csv',
  },
  stats: {
    usage: 'stats --db FILE [--json]',
    what: 'Counts of images, labels by state, and classes with examples.',
    options: [DB, JSON_OPT],
    example: 'grapheme-studio stats --db my.sqlite --json',
  },
  'export-labels': {
    usage: 'export-labels --db FILE --out CSV [--json]',
    what: "Writes the labeled images in the competition's train.csv format.",
    options: [DB, ['--out CSV', 'the file to write'], JSON_OPT],
    example: 'grapheme-studio export-labels --db my.sqlite --out labels.csv',
  },
  serve: {
    usage: 'serve --db FILE [--port N] [--host H]',
    what: 'Browser mode: serves the app and prints the URL to open, with its token.',
    options: [
      DB,
      ['--port N', 'the port (default 4790, else the next free one up to 4799; 0: any free port)'],
      ['--host H', 'the address to bind (default 127.0.0.1)'],
    ],
    example: 'grapheme-studio serve --db my.sqlite',
  },
  train: {
    usage: 'train --db FILE [options] [--json]',
    what: 'Trains a model on the labeled images in a trainer process, printing one line per epoch. Ctrl-C stops at a checkpoint (then `resume`).',
    options: [
      DB,
      ['--arch resnet34|resnet18', `the network (default ${D.arch})`],
      ['--size N', `input size in pixels (default ${D.size})`],
      ['--epochs N', `passes over the training images (default ${D.epochs})`],
      ['--batch N', `images per step (default ${D.batch})`],
      ['--lr X', `learning rate (default ${D.lr})`],
      [`--engine ${ENGINES.join('|')}`, 'where it computes (auto: the fastest that works here)'],
      ['--base-width N', `width of the first stage (default ${D.baseWidth}; smaller: a quick preview model)`],
      ['--holdout TEXT', 'validate on the images whose source path contains TEXT (e.g. one scan), train on the rest'],
      ['--seed N', `seed of the split and the initial weights (default ${D.seed})`],
      ['--init auto|pretrained|scratch|run:N', 'starting weights (auto: the shipped pretrained ones where they fit)'],
      ['--no-augment', 'train without augmentation'],
      [
        '--checkpoint-seconds S',
        `a checkpoint once S seconds of training passed since the last, and at the end and at a stop (default ${D.checkpointSeconds}; 0: after every epoch)`,
      ],
      JSON_OPT,
    ],
    example: 'grapheme-studio train --db my.sqlite --arch resnet18 --size 64 --epochs 5',
  },
  resume: {
    usage: 'resume --db FILE --run ID [--json]',
    what: 'Continues a stopped or crashed run from its last checkpoint.',
    options: [DB, ['--run ID', 'the run'], JSON_OPT],
    example: 'grapheme-studio resume --db my.sqlite --run 3',
  },
  eval: {
    usage: 'eval --db FILE --run ID [--split val|train|all] [--json]',
    what: "Metrics and confusion matrices of a run's model on a split.",
    options: [DB, ['--run ID', 'the run'], ['--split val|train|all', 'which images (default val)'], JSON_OPT],
    example: 'grapheme-studio eval --db my.sqlite --run 3 --split val --json',
  },
  predict: {
    usage: 'predict --db FILE --run ID --image ID... [--k N] [--json]',
    what: 'Top-k classes per component for images of the project.',
    options: [
      DB,
      ['--run ID', 'the run whose model predicts'],
      ['--image ID...', 'images by name (scan0000/r0c0) or database id'],
      ['--k N', 'how many classes per component (default 3)'],
      JSON_OPT,
    ],
    example: 'grapheme-studio predict --db my.sqlite --run 3 --image scan0000/r0c0 --json',
  },
  export: {
    usage: 'export --db FILE --run ID --out DIR [--format tfjs|onnx|all] [--json]',
    what: "Writes a run's model (TF.js, ONNX, label map, model card, predict scripts) into a new or empty folder.",
    options: [
      DB,
      ['--run ID', 'the run'],
      ['--out DIR', 'a new or empty folder'],
      ['--format tfjs|onnx|all', 'default all'],
      JSON_OPT,
    ],
    example: 'grapheme-studio export --db my.sqlite --run 3 --out my-model/',
  },
  'import-model': {
    usage: 'import-model --db FILE --dir DIR [--json]',
    what: 'Adds an exported model folder to the project as a finished run.',
    options: [DB, ['--dir DIR', 'the exported folder'], JSON_OPT],
    example: 'grapheme-studio import-model --db other.sqlite --dir my-model/',
  },
  pretrain: {
    usage:
      'pretrain --out DIR [--arch resnet34|resnet18] [--size N] [--base-width N] [--epochs N] [--pool N] [--batch N]\n       [--lr X] [--seed N] [--engine E] [--graphemes CSV] [--font FILE]... [--system-fonts] [--no-val] [--resume] [--json]',
    what: 'Trains a network on rendered graphemes only, validated zero-shot on the starter crops. Ctrl-C stops at a checkpoint; --resume continues.',
    options: [
      ['--out DIR', 'the pretraining folder (checkpoint, render pool settings)'],
      ['--pool N', 'how many graphemes to render for an epoch'],
      ['--graphemes CSV', 'the grapheme list to render (default resources/graphemes.csv)'],
      ['--font FILE...', 'font files to render with (default: the shipped and bundled OFL faces)'],
      ['--system-fonts', "also use the machine's Bengali fonts"],
      ['--no-val', 'skip the zero-shot validation on the starter crops'],
      ['--resume', 'continue a stopped pretraining in --out'],
      JSON_OPT,
    ],
    example: 'grapheme-studio pretrain --out pretrain/r18 --arch resnet18 --size 64 --epochs 2',
  },
  'pack-pretrained': {
    usage: 'pack-pretrained --from DIR --out DIR [--engine E] [--command TEXT] [--json]',
    what: 'Packs a pretraining checkpoint compactly (uint8/float16 weights) with its model card and zero-shot score on the starter images.',
    options: [
      ['--from DIR', 'a pretraining folder'],
      ['--out DIR', 'where the packed weights go (resources/pretrained/<arch>-<size>)'],
      ['--command TEXT', 'the command that produced it, for the model card'],
      JSON_OPT,
    ],
    example: 'grapheme-studio pack-pretrained --from pretrain/r18 --out resources/pretrained/resnet18-64',
  },
  'render-sheet': {
    usage: 'render-sheet --out PNG [--count N] [--size N] [--seed N] [--graphemes CSV] [--font FILE]...',
    what: 'Writes a contact sheet of rendered graphemes, as the network sees them.',
    options: [
      ['--out PNG', 'the image to write'],
      ['--count N', 'how many renders'],
      ['--size N', 'render size in pixels'],
      ['--seed N', 'seed of the variation'],
    ],
    example: 'grapheme-studio render-sheet --out sheet.png --count 96',
  },
};

export const COMMANDS = Object.keys(COMMAND_HELP);

export function commandHelp(command: string): string {
  const h = COMMAND_HELP[command]!;
  const width = Math.max(...h.options.map(([flag]) => flag.length));
  const options = h.options.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`).join('\n');
  return `Usage: grapheme-studio ${h.usage}\n\n${h.what}\n\nOptions:\n${options}\n  ${'-h, --help'.padEnd(width)}  this help\n\nExample:\n  ${h.example}\n`;
}

/** The list of commands, one line each. */
export function globalHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.length));
  const lines = COMMANDS.map(
    (c) => `  ${c.padEnd(width)}  ${COMMAND_HELP[c]!.what.split('. ')[0]!.replace(/\.$/, '')}`,
  );
  return `Usage: grapheme-studio <command> [options]\n\nCommands:\n${lines.join('\n')}\n\n'grapheme-studio help COMMAND' or 'grapheme-studio COMMAND --help' shows a command's options and an example.\n`;
}
