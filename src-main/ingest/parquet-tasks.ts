/** The two kinds of work of a parquet import, run on a worker thread or, without one, in-process. */
import { encodeImage, type Encoded } from './encode.js';
import { decodeSlabColumns, type PixelChunk } from './parquet-slab.js';

export interface DecodeTask {
  kind: 'decode';
  file: string;
  chunks: PixelChunk[];
  /** Index of chunks[0] among the pixel columns. */
  column: number;
  rowStart: number;
  rowEnd: number;
  /** Bytes per slab row. */
  stride: number;
  slab: SharedArrayBuffer;
  bad: SharedArrayBuffer;
}

export interface EncodeTask {
  kind: 'encode';
  slab: SharedArrayBuffer;
  /** Slab rows [from, to). */
  from: number;
  to: number;
  width: number;
  height: number;
}

export type Task = DecodeTask | EncodeTask;

export function runTask(task: Task, fd: number): { result: Encoded[] | null; transfer: ArrayBuffer[] } {
  if (task.kind === 'decode') {
    decodeSlabColumns({ ...task, fd, slab: new Uint8Array(task.slab), bad: new Uint8Array(task.bad) });
    return { result: null, transfer: [] };
  }
  const stride = task.width * task.height;
  const result: Encoded[] = [];
  const transfer: ArrayBuffer[] = [];
  for (let r = task.from; r < task.to; r++) {
    // Straight from the slab: hashing and the PNG filter read shared memory as well as their own
    // (a private copy per row cost 0.15 ms in allocation and GC). No training cache: the trainer
    // derives it from the PNG (0.4 ms CPU and 2.2 KB on disk per row saved here).
    const gray = new Uint8Array(task.slab, r * stride, stride);
    const e = encodeImage(gray, task.width, task.height, { png: true, cache: false });
    result.push(e);
    for (const b of [e.sha256, e.png!])
      if (b.byteLength === b.buffer.byteLength) transfer.push(b.buffer as ArrayBuffer);
  }
  return { result, transfer };
}
