/** The taxonomy, loaded once, with every class indexed for picker search. */
import { api } from '../api/client';
import { COMPONENTS, type Component, type Taxonomy, type TaxonomyClass } from '$contract/domain';
import { composeGrapheme, displayGlyph } from '$contract/grapheme';
import { displayName, matchScore, searchKeys } from '../romanize';

export interface ClassOption extends TaxonomyClass {
  name: string;
  keys: string[];
}

export const COMPONENT_LABELS: Record<Component, string> = {
  root: 'Grapheme root',
  vowel: 'Vowel diacritic',
  consonant: 'Consonant diacritic',
};

class TaxonomyState {
  raw = $state.raw<Taxonomy | null>(null);
  options = $state.raw<Record<Component, ClassOption[]> | null>(null);
  error = $state<string | null>(null);
  #loading: Promise<void> | null = null;

  load(): Promise<void> {
    this.#loading ??= api.call('taxonomy.get', {}).then(
      (t) => {
        this.raw = t;
        const options = {} as Record<Component, ClassOption[]>;
        for (const c of COMPONENTS) {
          options[c] = t[c].map((k) => ({ ...k, name: displayName(c, k), keys: searchKeys(c, k) }));
        }
        this.options = options;
      },
      (e: Error) => {
        this.error = e.message;
        this.#loading = null;
      },
    );
    return this.#loading;
  }

  /** Classes matching a query, best first. */
  search(component: Component, query: string): ClassOption[] {
    const all = this.options?.[component] ?? [];
    const scored: { k: ClassOption; s: number }[] = [];
    for (const k of all) {
      const s = matchScore(query, k, k.keys);
      if (s !== null) scored.push({ k, s });
    }
    return scored.sort((a, b) => a.s - b.s || a.k.id - b.k.id).map((x) => x.k);
  }

  /** A class's glyph for display (a lone mark gets a carrier). */
  glyph(component: Component, id: number | null): string {
    if (id === null) return '';
    return displayGlyph(this.raw?.[component][id]?.glyph ?? '');
  }

  /** The grapheme three components write, for display; '' until a root is chosen. */
  compose(root: number | null, vowel: number | null, consonant: number | null): string {
    if (!this.raw || root === null) return '';
    return displayGlyph(composeGrapheme(this.raw, root, vowel ?? 0, consonant ?? 0));
  }
}

export const taxonomy = new TaxonomyState();
