/** Parquet page headers: the thrift compact protocol, only as much as a page header needs. */

export const PAGE_DATA = 0;
export const PAGE_DICTIONARY = 2;
export const PAGE_DATA_V2 = 3;
export const ENC_PLAIN = 0;
export const ENC_PLAIN_DICTIONARY = 2;
export const ENC_RLE_DICTIONARY = 8;

export interface PageHeader {
  type: number;
  uncompressedSize: number;
  compressedSize: number;
  numValues: number;
  encoding: number;
  /** v2 only: byte lengths of the level sections (stored uncompressed) and whether values are compressed. */
  defLength: number;
  repLength: number;
  numNulls: number;
  compressed: boolean;
}

/** Thrift compact protocol, only as much as a page header needs. */
export class Thrift {
  constructor(
    readonly buf: Uint8Array,
    public pos: number,
  ) {}

  byte(): number {
    if (this.pos >= this.buf.length) throw new Error('page header runs past the end of the column chunk');
    return this.buf[this.pos++]!;
  }

  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return result;
      shift += 7;
      if (shift > 63) throw new Error('bad varint in page header');
    }
  }

  i32(): number {
    const n = this.varint();
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  /** Calls field(id, type) for each field of a struct; field returns false to have the value skipped. */
  struct(field: (id: number, type: number) => boolean): void {
    let last = 0;
    for (;;) {
      const b = this.byte();
      const type = b & 0x0f;
      if (type === 0) return;
      const delta = b >> 4;
      const id = delta === 0 ? this.i32() : last + delta;
      last = id;
      if (!field(id, type)) this.skip(type);
    }
  }

  skip(type: number): void {
    switch (type) {
      case 1:
      case 2:
        return; // booleans live in the field header
      case 3:
        this.pos++;
        return;
      case 4:
      case 5:
      case 6:
        this.varint();
        return;
      case 7:
        this.pos += 8;
        return;
      case 8: {
        const n = this.varint();
        this.pos += n;
        return;
      }
      case 9:
      case 10: {
        const h = this.byte();
        const size = h >> 4 === 15 ? this.varint() : h >> 4;
        for (let i = 0; i < size; i++) this.skipElement(h & 0x0f);
        return;
      }
      case 11: {
        const size = this.varint();
        if (size === 0) return;
        const kv = this.byte();
        for (let i = 0; i < size; i++) {
          this.skipElement(kv >> 4);
          this.skipElement(kv & 0x0f);
        }
        return;
      }
      case 12:
        this.struct(() => false);
        return;
      default:
        throw new Error(`bad thrift type ${type} in page header`);
    }
  }

  private skipElement(type: number): void {
    if (type === 1 || type === 2) this.pos++;
    else this.skip(type);
  }
}

export function readPageHeader(t: Thrift): PageHeader {
  const h: PageHeader = {
    type: -1,
    uncompressedSize: 0,
    compressedSize: -1,
    numValues: 0,
    encoding: -1,
    defLength: 0,
    repLength: 0,
    numNulls: 0,
    compressed: true,
  };
  t.struct((id, type) => {
    if (id === 1 && type === 5) h.type = t.i32();
    else if (id === 2 && type === 5) h.uncompressedSize = t.i32();
    else if (id === 3 && type === 5) h.compressedSize = t.i32();
    else if ((id === 5 || id === 7) && type === 12) {
      // DataPageHeader and DictionaryPageHeader both start with num_values, encoding.
      t.struct((f, ft) => {
        if (f === 1 && ft === 5) h.numValues = t.i32();
        else if (f === 2 && ft === 5) h.encoding = t.i32();
        else return false;
        return true;
      });
    } else if (id === 8 && type === 12) {
      t.struct((f, ft) => {
        if (f === 1 && ft === 5) h.numValues = t.i32();
        else if (f === 2 && ft === 5) h.numNulls = t.i32();
        else if (f === 4 && ft === 5) h.encoding = t.i32();
        else if (f === 5 && ft === 5) h.defLength = t.i32();
        else if (f === 6 && ft === 5) h.repLength = t.i32();
        else if (f === 7 && (ft === 1 || ft === 2)) h.compressed = ft === 1;
        else return false;
        return true;
      });
    } else return false;
    return true;
  });
  if (h.type < 0 || h.compressedSize < 0) throw new Error('page header without type or size');
  return h;
}
