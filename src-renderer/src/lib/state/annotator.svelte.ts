/**
 * The annotator's name: asked once per project, kept in localStorage (per
 * project, and as the last name used anywhere), sent with every label.
 */
const KEY = 'grapheme-studio.annotator';

function read(key: string): string {
  try {
    return localStorage.getItem(key)?.trim() ?? '';
  } catch {
    return '';
  }
}

function write(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Private mode without storage: the name holds for this session.
  }
}

class Annotator {
  name = $state(read(KEY));
  editing = $state(false);
  /** The name the dialog offers when none is known here: the project's latest editor. */
  suggestion = $state('');
  #projectKey: string | null = null;

  get known(): boolean {
    return this.name !== '';
  }

  /**
   * The project is known: its own name wins over the last one used anywhere. Where
   * this browser has none (another port is another origin), the project's latest
   * editor is offered, not assumed: on a shared project it may be someone else.
   */
  forProject(path: string, lastAnnotator: string | null): void {
    this.#projectKey = `${KEY}:${path}`;
    const own = read(this.#projectKey);
    if (own) this.name = own;
    if (!this.known && lastAnnotator) this.suggestion = lastAnnotator;
  }

  set(name: string): void {
    const clean = name.trim().slice(0, 100);
    if (!clean) return;
    this.name = clean;
    this.editing = false;
    write(KEY, clean);
    if (this.#projectKey) write(this.#projectKey, clean);
  }
}

export const annotator = new Annotator();
