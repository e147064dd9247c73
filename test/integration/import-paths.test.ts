import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { inProcessClient } from '../../src-main/service/in-process.js';
import { Service } from '../../src-main/service/service.js';
import { Project } from '../../src-main/store/project.js';
import { FORMS, tempDir } from '../helpers.js';

describe('import.paths (drag and drop)', () => {
  it('imports dropped folders, then applies dropped label CSVs, and rejects the rest by name', async () => {
    const dir = tempDir();
    const service = new Service(new Project(join(dir, 'p.sqlite')));
    const client = inProcessClient(service);
    const csv = join(dir, 'train.csv');
    writeFileSync(csv, 'image_id,grapheme_root,vowel_diacritic,consonant_diacritic\nr0c0,13,2,5\n');
    const notes = join(dir, 'notes.txt');
    writeFileSync(notes, 'hello');
    const r = await client.call('import.paths', { paths: [csv, join(FORMS, 'scan0020'), notes, join(dir, 'gone')] });
    expect(r).toMatchObject({ imported: 81, labeled: 1 });
    expect(r.rejected).toEqual([
      { source: notes, reason: 'not a folder, .parquet or .csv file (drop the folder that holds images)' },
      { source: join(dir, 'gone'), reason: 'not found' },
    ]);
    service.close();
  });
});
