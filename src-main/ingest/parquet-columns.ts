/**
 * Where the columns of a row group lie and how to read them, and the reads
 * themselves: the image ids with hyparquet's general reader (strings, any
 * encoding), the pixel chunks as plans for the workers.
 */
import type { FileHandle } from 'node:fs/promises';
import { parquetSchema, type FileMetaData } from 'hyparquet';
import { readColumn } from 'hyparquet/src/column.js';
import { DEFAULT_PARSERS } from 'hyparquet/src/convert.js';
import type { PixelChunk } from './parquet-slab.js';

export interface Layout {
  idColumn: string;
  pixelColumns: string[];
}

/** Columns of one row group: the image ids (read here) and the pixel chunks (read by the workers). */
export interface GroupColumns {
  id: ColumnReader;
  pixels: PixelChunk[];
}

/** The image_id column, read with hyparquet's general reader (strings, any encoding). */
export interface ColumnReader {
  startByte: number;
  endByte: number;
  decoder: Record<string, unknown>;
}

/** Per-group column plans, built at once: hyparquet's own planner is quadratic in the column count. */
export function columnsOf(meta: FileMetaData, group: number, layout: Layout, fileSize: number): GroupColumns {
  const tree = parquetSchema(meta);
  const leafByName = new Map(tree.children.map((c) => [c.element.name, c]));
  const byName = new Map<string, { chunk: PixelChunk; reader: ColumnReader }>();
  for (const chunk of meta.row_groups[group]!.columns) {
    const m = chunk.meta_data;
    if (!m) throw new Error('column metadata missing');
    const leaf = leafByName.get(m.path_in_schema[0]!);
    if (!leaf || m.path_in_schema.length !== 1)
      throw new Error(`unexpected nested column ${m.path_in_schema.join('.')}`);
    const start = Number(m.dictionary_page_offset || m.data_page_offset);
    const end = start + Number(m.total_compressed_size);
    // A footer that points outside the file would have the reader allocate what it claims (2 GB killed the process).
    if (!(start >= 4 && end > start && end <= fileSize)) {
      throw new Error(`column ${leaf.element.name} claims bytes ${start}..${end} of a ${fileSize}-byte file`);
    }
    byName.set(leaf.element.name, {
      chunk: {
        start,
        end,
        codec: m.codec,
        type: m.type,
        optional: leaf.element.repetition_type === 'OPTIONAL',
        element: leaf.element,
      },
      reader: {
        startByte: start,
        endByte: end,
        decoder: {
          pathInSchema: m.path_in_schema,
          element: leaf.element,
          schemaPath: [tree, leaf],
          ...m,
          parsers: DEFAULT_PARSERS,
        },
      },
    });
  }
  const get = (name: string) => {
    const r = byName.get(name);
    if (!r) throw new Error(`row group ${group} has no column ${name}`);
    return r;
  };
  return { id: get(layout.idColumn).reader, pixels: layout.pixelColumns.map((n) => get(n).chunk) };
}

/** Decodes rows [selectStart, selectEnd) of one column chunk, calling put(row, value) for each. */
export function decodeColumn(
  bytes: ArrayBuffer,
  reader: ColumnReader,
  selectStart: number,
  selectEnd: number,
  put: (row: number, value: unknown) => void,
): void {
  const view = new DataView(bytes, 0, reader.endByte - reader.startByte);
  const { data, skipped } = readColumn(
    { view, offset: 0 },
    { groupStart: 0, selectStart, selectEnd } as never,
    reader.decoder as never,
  ) as { data: ArrayLike<unknown>[]; skipped: number };
  let row = skipped;
  for (const page of data) {
    for (let i = 0; i < page.length; i++, row++)
      if (row >= selectStart && row < selectEnd) put(row - selectStart, page[i]);
  }
}

/** Bytes [start, end) of the file; a short read is an error (the file is truncated). */
export async function readRange(file: FileHandle, start: number, end: number): Promise<ArrayBuffer> {
  // Unpooled: the Buffer owns its whole ArrayBuffer, which can be handed out without a copy.
  const buf = Buffer.allocUnsafeSlow(Math.max(0, end - start));
  let got = 0;
  while (got < buf.length) {
    const { bytesRead } = await file.read(buf, got, buf.length - got, start + got);
    if (bytesRead === 0) throw new Error('unexpected end of file');
    got += bytesRead;
  }
  return buf.buffer as ArrayBuffer;
}
