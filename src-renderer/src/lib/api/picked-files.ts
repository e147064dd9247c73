/**
 * The files a user chose or dropped, each with its path under the chosen folder:
 * an <input webkitdirectory> gives webkitRelativePath; a drop gives entries to walk.
 */
import type { Picked } from '../state/importer.svelte';

export function fromInput(files: FileList): Picked[] {
  return Array.from(files, (file) => ({ file, path: file.webkitRelativePath || file.name }));
}

function readAll(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  // readEntries answers in chunks (about 100 at a time) until it answers none.
  return new Promise((resolve, reject) => {
    const out: FileSystemEntry[] = [];
    const next = () =>
      reader.readEntries((chunk) => {
        if (chunk.length === 0) return resolve(out);
        out.push(...chunk);
        next();
      }, reject);
    next();
  });
}

async function walk(entry: FileSystemEntry, prefix: string, out: Picked[]): Promise<void> {
  const path = prefix ? `${prefix}/${entry.name}` : entry.name;
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push({ file, path });
  } else if (entry.isDirectory) {
    const children = await readAll((entry as FileSystemDirectoryEntry).createReader());
    children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const child of children) await walk(child, path, out);
  }
}

/** Every file of a drop, folders walked; hidden files (".DS_Store") left out as the importers do. */
export async function fromDrop(transfer: DataTransfer): Promise<Picked[]> {
  const entries = Array.from(transfer.items, (i) => i.webkitGetAsEntry()).filter((e): e is FileSystemEntry => !!e);
  if (entries.length === 0) return fromInput(transfer.files);
  const out: Picked[] = [];
  for (const e of entries) await walk(e, '', out);
  return out.filter((p) => !p.path.split('/').some((part) => part.startsWith('.')));
}
