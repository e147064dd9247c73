/**
 * The ResNet of model.ts as a list of layers with their shapes and the
 * names of their weights: what the plan allocates buffers and kernels for.
 * The structure mirrors buildModel (same layer names), so the flat
 * parameter offsets are looked up by the tfjs weights' own names.
 */
import { STAGES } from '../model.js';
import type { Arch } from '../config.js';
import { convGeometry, type ConvGeometry } from './conv-shape.js';

export interface ConvBnLayer {
  /** Layer name prefix: `stem`, `s2b1_a`, `s3b1_down`, ... (`_conv` and `_bn` in the model). */
  name: string;
  conv: ConvGeometry;
  /** What the BN's output feeds: its own ReLU, nothing (down-sample), or the block's add + ReLU. */
  role: 'relu' | 'shortcut' | 'residual';
}

export interface Block {
  name: string;
  a: ConvBnLayer;
  b: ConvBnLayer;
  down: ConvBnLayer | null;
  /** Output side and channels. */
  H: number;
  C: number;
}

export interface ResNetGraph {
  input: { H: number; W: number };
  stem: ConvBnLayer;
  pool: { H: number; W: number; C: number; K: number; stride: number };
  blocks: Block[];
  /** Pixels and channels of the last block's output (the global average pool's input). */
  final: { HW: number; C: number };
}

export function resnetGraph(arch: Arch, size: number, width: number): ResNetGraph {
  const stemConv = convGeometry({ H: size, W: size, CI: 1, CO: width, K: 7, stride: 2 });
  const pool = { H: stemConv.OH, W: stemConv.OW, C: width, K: 3, stride: 2 };
  let H = Math.ceil(pool.H / 2);
  let W = Math.ceil(pool.W / 2);
  let C = width;
  const blocks: Block[] = [];
  STAGES[arch].forEach((count, stage) => {
    for (let b = 0; b < count; b++) {
      const stride = stage > 0 && b === 0 ? 2 : 1;
      const filters = width * 2 ** stage;
      const name = `s${stage + 1}b${b + 1}`;
      const a = convGeometry({ H, W, CI: C, CO: filters, K: 3, stride });
      const down =
        stride !== 1 || C !== filters
          ? {
              name: `${name}_down`,
              conv: convGeometry({ H, W, CI: C, CO: filters, K: 1, stride }),
              role: 'shortcut' as const,
            }
          : null;
      H = a.OH;
      W = a.OW;
      blocks.push({
        name,
        a: { name: `${name}_a`, conv: a, role: 'relu' },
        b: {
          name: `${name}_b`,
          conv: convGeometry({ H, W, CI: filters, CO: filters, K: 3, stride: 1 }),
          role: 'residual',
        },
        down,
        H,
        C: filters,
      });
      C = filters;
    }
  });
  return {
    input: { H: size, W: size },
    stem: { name: 'stem', conv: stemConv, role: 'relu' },
    pool,
    blocks,
    final: { HW: H * W, C },
  };
}
