/**
 * A small RFC 4180 CSV reader: quoted fields, doubled quotes, CRLF or LF.
 * Yields records with their 1-based line number so errors can name the row.
 */
export interface CsvRecord {
  line: number;
  fields: string[];
}

export function* parseCsv(text: string): Generator<CsvRecord> {
  let i = 0;
  let line = 1;
  if (text.charCodeAt(0) === 0xfeff) i = 1; // byte-order mark
  while (i < text.length) {
    const start = line;
    const fields: string[] = [];
    let field = '';
    for (;;) {
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= text.length) throw new Error(`unterminated quoted field starting on line ${start}`);
          const ch = text[i]!;
          if (ch === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (ch === '\n') line++;
          field += ch;
          i++;
        }
      }
      while (i < text.length && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') field += text[i++];
      fields.push(field);
      field = '';
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '\r') i++;
      if (text[i] === '\n') i++;
      line++;
      break;
    }
    if (!(fields.length === 1 && fields[0] === '')) yield { line: start, fields };
  }
}

export function csvField(value: string | number): string {
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
