/**
 * Mutations of a competition-layout parquet file: bytes (anywhere, in the
 * footer, in a page header), and the footer's own fields decoded, edited and
 * re-encoded (row counts, sizes, offsets, physical types, codecs), so the
 * decoder meets a well-formed footer that lies as well as a broken one.
 */
import { parquetMetadata, type FileMetaData } from 'hyparquet';
import { ByteWriter } from 'hyparquet-writer';
import { writeMetadata } from 'hyparquet-writer/src/metadata.js';
import { flipBytes, truncate, type Mutant, type Rng } from './mutate.js';

export interface ParquetBase {
  bytes: Buffer;
  meta: FileMetaData;
  /** Where the footer's thrift starts. */
  footerAt: number;
}

export function parquetBase(bytes: Buffer): ParquetBase {
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
  const meta = parquetMetadata(ab);
  return { bytes, meta, footerAt: bytes.length - 8 - meta.metadata_length };
}

function withFooter(base: ParquetBase, meta: FileMetaData): Buffer {
  const w = new ByteWriter();
  // hyparquet-writer bundles its own hyparquet; the footer's shape is the same.
  writeMetadata(w, meta as Parameters<typeof writeMetadata>[1]);
  w.appendUint32(0x31524150);
  return Buffer.concat([base.bytes.subarray(0, base.footerAt), Buffer.from(w.getBuffer())]);
}

const TYPES = ['BOOLEAN', 'INT64', 'INT96', 'FLOAT', 'DOUBLE', 'BYTE_ARRAY', 'FIXED_LEN_BYTE_ARRAY'] as const;
const CODECS = ['UNCOMPRESSED', 'SNAPPY', 'GZIP', 'LZO', 'BROTLI', 'LZ4', 'ZSTD', 'LZ4_RAW'] as const;
const HUGE = [0n, -1n, 1n << 40n, (1n << 62n) - 1n];

type Edit = (rng: Rng, meta: FileMetaData) => string;

/** A random column chunk's metadata, with its place named for the report. */
function someColumn(rng: Rng, meta: FileMetaData) {
  const g = rng.int(meta.row_groups.length);
  const cols = meta.row_groups[g]!.columns;
  const c = rng.chance(0.2) ? 0 : rng.int(cols.length);
  return { m: cols[c]!.meta_data!, where: `group ${g} column ${c}` };
}

const EDITS: Edit[] = [
  (rng, meta) => {
    const v = rng.pick([...HUGE, meta.num_rows + 1n, meta.num_rows - 1n]);
    meta.num_rows = v;
    return `num_rows ${v}`;
  },
  (rng, meta) => {
    const g = meta.row_groups[rng.int(meta.row_groups.length)]!;
    g.num_rows = rng.pick([0n, g.num_rows + 1n, g.num_rows * 1000n, -5n, 1n << 33n]);
    return `row group num_rows ${g.num_rows}`;
  },
  (rng, meta) => {
    const { m, where } = someColumn(rng, meta);
    m.total_compressed_size = rng.pick([0n, 1n, 1n << 31n, 1n << 45n, -100n]);
    return `${where} total_compressed_size ${m.total_compressed_size}`;
  },
  (rng, meta) => {
    const { m, where } = someColumn(rng, meta);
    m.data_page_offset = rng.pick([0n, 3n, -8n, 1n << 40n, m.data_page_offset + 1n]);
    return `${where} data_page_offset ${m.data_page_offset}`;
  },
  (rng, meta) => {
    const { m, where } = someColumn(rng, meta);
    m.type = rng.pick(TYPES);
    return `${where} physical type ${m.type}`;
  },
  (rng, meta) => {
    const i = 1 + (rng.chance(0.3) ? 0 : rng.int(meta.schema.length - 1));
    meta.schema[i]!.type = rng.pick(TYPES);
    if (meta.schema[i]!.type === 'FIXED_LEN_BYTE_ARRAY') meta.schema[i]!.type_length = rng.pick([0, 1, 1 << 30]);
    return `schema ${meta.schema[i]!.name} type ${meta.schema[i]!.type}`;
  },
  (rng, meta) => {
    const { m, where } = someColumn(rng, meta);
    m.codec = rng.pick(CODECS);
    return `${where} codec ${m.codec}`;
  },
  (rng, meta) => {
    const { m, where } = someColumn(rng, meta);
    m.num_values = rng.pick([0n, m.num_values + 7n, 1n << 40n]);
    return `${where} num_values ${m.num_values}`;
  },
  (rng, meta) => {
    meta.row_groups.splice(rng.int(meta.row_groups.length), 1);
    return 'drop a row group';
  },
  (rng, meta) => {
    const i = 1 + rng.int(meta.schema.length - 1);
    const was = meta.schema[i]!.name;
    meta.schema[i]!.name = rng.pick(['image_id', '', 'x', '0']);
    return `rename column ${was} to ${meta.schema[i]!.name}`;
  },
  (rng, meta) => {
    const { m, where } = someColumn(rng, meta);
    m.dictionary_page_offset = rng.pick([1n, 4n, m.data_page_offset - 1n]);
    return `${where} dictionary_page_offset ${m.dictionary_page_offset}`;
  },
];

export function mutateParquet(rng: Rng, base: ParquetBase): Mutant {
  const kind = rng.int(7);
  const { bytes } = base;
  if (kind === 0) return flipBytes(rng, bytes);
  if (kind === 1) return { ...flipBytes(rng, bytes, base.footerAt, bytes.length), what: 'footer bytes' };
  const groups = base.meta.row_groups.length > 0;
  if (kind === 2 && groups) {
    // A page header: where a random column chunk's first page starts.
    const { m, where } = someColumn(rng, base.meta);
    const at = Number(m.data_page_offset);
    return { ...flipBytes(rng, bytes, at, Math.min(bytes.length, at + 24)), what: `${where} page header bytes` };
  }
  if (kind === 3) return truncate(rng, bytes);
  if (kind === 4) {
    const out = Buffer.from(bytes);
    const len = rng.pick([0, 1, 0x7fffffff, 0xffffffff, bytes.length, base.meta.metadata_length + 1]);
    out.writeUInt32LE(len >>> 0, bytes.length - 8);
    return { bytes: out, what: `footer length ${len}` };
  }
  const meta = structuredClone(base.meta);
  // A file without row groups (zero rows) has only its row count to lie about.
  const edit = () => (groups && meta.row_groups.length ? rng.pick(EDITS) : EDITS[0]!)(rng, meta);
  const edits = [edit()];
  if (kind === 6) edits.push(edit());
  return { bytes: withFooter(base, meta), what: edits.join('; ') };
}
