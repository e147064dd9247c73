/**
 * The few ONNX protobuf messages an exported model needs, encoded by hand:
 * no ONNX or protobuf package installs offline, and the wire format is
 * small. Field numbers are those of onnx/onnx.proto (IR version 7, opset 13).
 * Repeated scalars are written unpacked, which every protobuf parser reads
 * (onnx.proto is proto2, where unpacked is the default).
 */

export const ONNX_IR_VERSION = 7;
export const ONNX_OPSET = 13;
export const FLOAT = 1;
export const INT64 = 7;

/** Appends protobuf fields to a growing list of byte chunks. */
class Writer {
  private chunks: Uint8Array[] = [];
  private length = 0;

  private push(bytes: Uint8Array) {
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  private varint(value: number | bigint) {
    // int64 on the wire: negatives are ten-byte two's complement.
    let v = BigInt.asUintN(64, BigInt(value));
    const out: number[] = [];
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    this.push(Uint8Array.from(out));
  }

  private tag(field: number, wire: number) {
    this.varint((field << 3) | wire);
  }

  int(field: number, value: number) {
    this.tag(field, 0);
    this.varint(value);
    return this;
  }

  float(field: number, value: number) {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }

  bytes(field: number, value: Uint8Array) {
    this.tag(field, 2);
    this.varint(value.length);
    this.push(value);
    return this;
  }

  string(field: number, value: string) {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, value: Writer) {
    return this.bytes(field, value.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let off = 0;
    for (const c of this.chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  }
}

export type AttrValue = number | number[] | string | { float: number };

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  name: string;
  /** Integers become INT/INTS attributes; `{ float }` a FLOAT one. */
  attrs?: Record<string, AttrValue>;
}

export interface OnnxTensor {
  name: string;
  dims: number[];
  /** float32 or int64 values, stored as raw little-endian data. */
  data: Float32Array | BigInt64Array;
}

export interface OnnxValue {
  name: string;
  /** A string is a symbolic dimension (e.g. the batch). */
  shape: (number | string)[];
}

export interface OnnxModel {
  graphName: string;
  producerVersion: string;
  docString: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValue[];
  outputs: OnnxValue[];
  metadata: Record<string, string>;
}

function attribute(name: string, value: AttrValue): Writer {
  const w = new Writer().string(1, name);
  if (typeof value === 'string') return w.string(4, value).int(20, 3);
  if (Array.isArray(value)) {
    for (const v of value) w.int(8, v);
    return w.int(20, 7);
  }
  if (typeof value === 'object') return w.float(2, value.float).int(20, 1);
  return w.int(3, value).int(20, 2);
}

function node(n: OnnxNode): Writer {
  const w = new Writer();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name).string(4, n.op);
  for (const [k, v] of Object.entries(n.attrs ?? {})) w.message(5, attribute(k, v));
  return w;
}

function tensor(t: OnnxTensor): Writer {
  const w = new Writer();
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.data instanceof Float32Array ? FLOAT : INT64).string(8, t.name);
  // Raw data is little-endian; so is every platform Node runs on.
  return w.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

function valueInfo(v: OnnxValue): Writer {
  const shape = new Writer();
  for (const d of v.shape) shape.message(1, typeof d === 'number' ? new Writer().int(1, d) : new Writer().string(2, d));
  const tensorType = new Writer().int(1, FLOAT).message(2, shape);
  return new Writer().string(1, v.name).message(2, new Writer().message(1, tensorType));
}

export function encodeModel(m: OnnxModel): Uint8Array {
  const graph = new Writer();
  for (const n of m.nodes) graph.message(1, node(n));
  graph.string(2, m.graphName);
  for (const t of m.initializers) graph.message(5, tensor(t));
  for (const i of m.inputs) graph.message(11, valueInfo(i));
  for (const o of m.outputs) graph.message(12, valueInfo(o));
  const model = new Writer()
    .int(1, ONNX_IR_VERSION)
    .string(2, 'Grapheme Studio')
    .string(3, m.producerVersion)
    .string(6, m.docString)
    .message(7, graph)
    .message(8, new Writer().string(1, '').int(2, ONNX_OPSET));
  for (const [key, value] of Object.entries(m.metadata))
    model.message(14, new Writer().string(1, key).string(2, value));
  return model.finish();
}
