/**
 * A minimal ZIP writer (PKWARE APPNOTE 6.3: local headers, central directory,
 * end record; deflate or stored; UTF-8 names), enough to hand an export folder
 * to a browser as one download. No ZIP64: an export is far below 4 GiB, and a
 * bigger archive is refused rather than written wrong.
 */
import { crc32, deflateRawSync } from 'node:zlib';

const LOCAL = 0x04034b50;
const CENTRAL = 0x02014b50;
const END = 0x06054b50;
const UTF8_NAMES = 0x0800;
const MAX = 0xffffffff;

/** MS-DOS date and time fields of a moment (local time, 2-second steps, from 1980). */
function dosTime(at: Date): { time: number; date: number } {
  const year = Math.max(1980, at.getFullYear());
  return {
    time: (at.getHours() << 11) | (at.getMinutes() << 5) | (at.getSeconds() >> 1),
    date: ((year - 1980) << 9) | ((at.getMonth() + 1) << 5) | at.getDate(),
  };
}

/** One archive holding `files` (relative path -> bytes), in the map's order. */
export function zip(files: Map<string, Uint8Array>, at = new Date()): Buffer {
  if (files.size > 0xffff) throw new Error('too many files for a ZIP archive without ZIP64');
  const { time, date } = dosTime(at);
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [path, data] of files) {
    const name = Buffer.from(path, 'utf8');
    const packed = deflateRawSync(data);
    // Already-compressed data (weights rarely shrink) is stored as it is.
    const method = packed.length < data.length ? 8 : 0;
    const body = method === 8 ? packed : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const crc = crc32(data);
    if (offset + body.length > MAX || data.length > MAX) throw new Error('the export is too big for a ZIP archive');
    const fields = (h: Buffer, at: number) => {
      h.writeUInt16LE(UTF8_NAMES, at);
      h.writeUInt16LE(method, at + 2);
      h.writeUInt16LE(time, at + 4);
      h.writeUInt16LE(date, at + 6);
      h.writeUInt32LE(crc, at + 8);
      h.writeUInt32LE(body.length, at + 12);
      h.writeUInt32LE(data.length, at + 16);
      h.writeUInt16LE(name.length, at + 20);
    };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(LOCAL, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
    fields(local, 6);
    parts.push(local, name, body);

    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(CENTRAL, 0);
    entry.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0
    entry.writeUInt16LE(20, 6);
    fields(entry, 8);
    entry.writeUInt32LE((0o100644 << 16) >>> 0, 38); // external attributes: a regular file, rw-r--r--
    entry.writeUInt32LE(offset, 42);
    central.push(entry, name);
    offset += local.length + name.length + body.length;
  }
  const dir = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END, 0);
  end.writeUInt16LE(files.size, 8);
  end.writeUInt16LE(files.size, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, dir, end]);
}
