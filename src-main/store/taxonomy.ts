import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Component, Taxonomy } from '../contract/domain.js';
import { CLASS_COUNTS, COMPONENTS } from '../contract/domain.js';
import { parseCsv } from '../shared/csv.js';
import type { DB } from './db.js';
import { resourcesDir } from '../shared/app-files.js';

const CSV_COMPONENT: Record<string, Component> = {
  grapheme_root: 'root',
  vowel_diacritic: 'vowel',
  consonant_diacritic: 'consonant',
};

/** Reads class_map.csv (component_type,label,component) into a taxonomy. */
export function readClassMap(file = join(resourcesDir(), 'class_map.csv')): Taxonomy {
  const taxonomy: Taxonomy = { root: [], vowel: [], consonant: [] };
  let header = true;
  for (const { line, fields } of parseCsv(readFileSync(file, 'utf8'))) {
    if (header) {
      header = false;
      continue;
    }
    const [type, label, glyph] = fields;
    const component = CSV_COMPONENT[type ?? ''];
    const id = Number(label);
    if (!component || !Number.isInteger(id) || glyph === undefined) {
      throw new Error(`${file}:${line}: expected component_type,label,component`);
    }
    taxonomy[component].push({ id, glyph: glyph === '0' ? '' : glyph.normalize('NFC') });
  }
  for (const c of COMPONENTS) {
    taxonomy[c].sort((a, b) => a.id - b.id);
    if (taxonomy[c].length !== CLASS_COUNTS[c] || taxonomy[c].some((k, i) => k.id !== i)) {
      throw new Error(`${file}: ${c} must have ids 0..${CLASS_COUNTS[c] - 1}`);
    }
  }
  return taxonomy;
}

export function seedTaxonomy(db: DB): void {
  const count = db.prepare('SELECT count(*) AS n FROM taxonomy').get() as { n: number };
  if (count.n > 0) return;
  const taxonomy = readClassMap();
  const insert = db.prepare('INSERT INTO taxonomy (component, id, glyph) VALUES (?, ?, ?)');
  db.transaction(() => {
    for (const c of COMPONENTS) for (const k of taxonomy[c]) insert.run(c, k.id, k.glyph);
  })();
}

export function loadTaxonomy(db: DB): Taxonomy {
  const rows = db.prepare('SELECT component, id, glyph FROM taxonomy ORDER BY component, id').all() as {
    component: Component;
    id: number;
    glyph: string;
  }[];
  const taxonomy: Taxonomy = { root: [], vowel: [], consonant: [] };
  for (const r of rows) taxonomy[r.component].push({ id: r.id, glyph: r.glyph });
  return taxonomy;
}

export { composeGrapheme } from '../contract/grapheme.js';
