/** The annotator's name: asked once, kept in localStorage, sent with every label. */
const KEY = 'grapheme-studio.annotator';

function read(): string {
  try {
    return localStorage.getItem(KEY)?.trim() ?? '';
  } catch {
    return '';
  }
}

class Annotator {
  name = $state(read());
  editing = $state(false);

  get known(): boolean {
    return this.name !== '';
  }

  set(name: string): void {
    const clean = name.trim().slice(0, 100);
    if (!clean) return;
    this.name = clean;
    this.editing = false;
    try {
      localStorage.setItem(KEY, clean);
    } catch {
      // Private mode without storage: the name holds for this session.
    }
  }
}

export const annotator = new Annotator();
