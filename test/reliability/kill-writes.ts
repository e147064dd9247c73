/**
 * Acknowledged label writes against SIGKILL: several annotators save labels
 * through browser mode (the real serve process) while the server is killed
 * at random moments and restarted on the same port. Afterwards every write
 * the server acknowledged must be in the database with its history row,
 * each annotator's undo must still step back, and integrity_check must pass.
 */
import Database from 'better-sqlite3';
import { Rng } from './mutate.js';
import { startServe, type ServeProcess } from './serve-process.js';
import { integrity } from './project-digest.js';
import { percentile } from './stats.js';

export interface KillCounts {
  clients: number;
  kills: number;
  attempted: number;
  acknowledged: number;
  /** Acknowledged writes missing from label_history (goal 0). */
  lost: number;
  /** Images whose final label is not the last write that could have committed. */
  wrongFinal: number;
  undoChecked: number;
  undoFailed: number;
  integrity: string;
  ackMs: { p50: number; p99: number; max: number };
  failures: string[];
}

export interface KillOptions {
  db: string;
  token: string;
  clients: number;
  kills: number;
  seed: number;
  /** The server runs this long (ms, random within) before each kill. */
  upMs: [number, number];
}

interface Ack {
  client: number;
  imageId: number;
  root: number;
  vowel: number;
  consonant: number;
}

const annotator = (c: number) => `annotator-${c}`;

/** One annotator: saves labels on its own images, one at a time, retrying while the server is down. */
async function annotate(
  c: number,
  images: number[],
  server: () => ServeProcess,
  stop: () => boolean,
  record: { acks: Ack[]; attempted: number; latencies: number[]; inflight: Map<number, Ack[]> },
) {
  const rng = new Rng(1000 + c);
  const visits = new Map<number, number>();
  for (let n = 0; !stop(); n++) {
    const s = server();
    const imageId = images[rng.int(images.length)]!;
    // Every write of an image has values it never had before, so each one must leave a history row
    // (an unchanged label writes none) and the final label names the write that made it.
    const k = (visits.get(imageId) ?? 0) + 1;
    visits.set(imageId, k);
    const v = (k * 7919) % (168 * 11 * 7);
    const w: Ack = {
      client: c,
      imageId,
      root: v % 168,
      vowel: Math.floor(v / 168) % 11,
      consonant: Math.floor(v / 1848),
    };
    const body = JSON.stringify({
      imageId,
      state: 'labeled',
      root: w.root,
      vowel: w.vowel,
      consonant: w.consonant,
      annotator: annotator(c),
    });
    record.attempted++;
    // Sent but not acknowledged: such a write may or may not have committed when the server died.
    const maybe = record.inflight.get(imageId) ?? [];
    record.inflight.set(imageId, [...maybe, w]);
    const t0 = performance.now();
    try {
      const res = await fetch(`${s.origin}/api/labels.set`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-grapheme-token': s.token },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      const envelope = (await res.json()) as { ok: boolean };
      if (envelope.ok) {
        record.latencies.push(performance.now() - t0);
        record.acks.push(w);
      }
    } catch {
      await new Promise((r) => setTimeout(r, 20)); // server down: try again soon
    }
  }
}

export async function killWrites(o: KillOptions): Promise<KillCounts> {
  const setup = new Database(o.db, { readonly: true });
  const ids = setup.prepare('SELECT id FROM images ORDER BY id').pluck().all() as number[];
  setup.close();
  const rng = new Rng(o.seed);
  let server = await startServe(o.db, o.token);
  const port = server.port;
  const record = { acks: [] as Ack[], attempted: 0, latencies: [] as number[], inflight: new Map<number, Ack[]>() };
  let stopping = false;
  const mine = (c: number) => ids.filter((_, i) => i % o.clients === c);
  const workers = Array.from({ length: o.clients }, (_, c) =>
    annotate(
      c,
      mine(c),
      () => server,
      () => stopping,
      record,
    ),
  );
  let kills = 0;
  const failures: string[] = [];
  try {
    for (; kills < o.kills; kills++) {
      await new Promise((r) => setTimeout(r, o.upMs[0] + rng.int(o.upMs[1] - o.upMs[0])));
      await server.kill();
      server = await startServe(o.db, o.token, port);
    }
    await new Promise((r) => setTimeout(r, o.upMs[0]));
  } finally {
    stopping = true;
    await Promise.all(workers);
  }
  const counts = verify(o, record, failures);
  counts.kills = kills;
  await checkUndo(server, o.clients, counts, o.db);
  await server.stop();
  counts.integrity = integrityOf(o.db);
  const sorted = [...record.latencies].sort((a, b) => a - b);
  counts.ackMs = {
    p50: +percentile(sorted, 50).toFixed(2),
    p99: +percentile(sorted, 99).toFixed(2),
    max: +(sorted.at(-1) ?? 0).toFixed(2),
  };
  return counts;
}

function integrityOf(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    return integrity(db);
  } finally {
    db.close();
  }
}

function verify(
  o: KillOptions,
  record: { acks: Ack[]; attempted: number; inflight: Map<number, Ack[]> },
  failures: string[],
): KillCounts {
  const db = new Database(o.db, { readonly: true });
  const history = db.prepare(
    `SELECT count(*) FROM label_history WHERE image_id = ? AND annotator = ? AND kind = 'edit'
       AND after_root = ? AND after_vowel = ? AND after_consonant = ?`,
  );
  // A write acknowledged k times with the same values needs k history rows.
  const need = new Map<string, { ack: Ack; n: number }>();
  for (const a of record.acks) {
    const key = `${a.imageId}/${a.client}/${a.root}/${a.vowel}/${a.consonant}`;
    need.set(key, { ack: a, n: (need.get(key)?.n ?? 0) + 1 });
  }
  let lost = 0;
  for (const { ack: a, n } of need.values()) {
    const have = history.pluck().get(a.imageId, annotator(a.client), a.root, a.vowel, a.consonant) as number;
    if (have < n) {
      lost += n - have;
      if (failures.length < 20) failures.push(`lost: ${JSON.stringify(a)} acknowledged ${n}x, ${have} in history`);
    }
  }
  // The final label is the last acknowledged write of the image, or one sent after it (in flight at a kill).
  const lastAck = new Map<number, Ack>();
  for (const a of record.acks) lastAck.set(a.imageId, a);
  const label = db.prepare('SELECT root, vowel, consonant FROM labels WHERE image_id = ?');
  let wrongFinal = 0;
  for (const [imageId, a] of lastAck) {
    const l = label.get(imageId) as { root: number; vowel: number; consonant: number };
    const sent = record.inflight.get(imageId) ?? [];
    const candidates = sent.slice(sent.lastIndexOf(a));
    if (!candidates.some((w) => w.root === l.root && w.vowel === l.vowel && w.consonant === l.consonant)) {
      wrongFinal++;
      if (failures.length < 20)
        failures.push(`image ${imageId} ends as ${JSON.stringify(l)}, last acknowledged ${JSON.stringify(a)}`);
    }
  }
  db.close();
  return {
    clients: o.clients,
    kills: 0,
    attempted: record.attempted,
    acknowledged: record.acks.length,
    lost,
    wrongFinal,
    undoChecked: 0,
    undoFailed: 0,
    integrity: '',
    ackMs: { p50: 0, p99: 0, max: 0 },
    failures,
  };
}

/** Each annotator's undo steps back its own latest save (the before values of its latest history row). */
async function checkUndo(server: ServeProcess, clients: number, counts: KillCounts, file: string) {
  for (let c = 0; c < clients; c++) {
    const db = new Database(file, { readonly: true });
    const last = db
      .prepare(
        `SELECT h.image_id, h.before_state, h.before_root FROM label_history h JOIN gestures g ON g.id = h.gesture_id
         WHERE h.annotator = ? AND h.kind = 'edit' AND g.state = 'done' ORDER BY h.id DESC LIMIT 1`,
      )
      .get(annotator(c)) as { image_id: number; before_state: string; before_root: number | null } | undefined;
    db.close();
    if (!last) continue;
    counts.undoChecked++;
    const res = await fetch(`${server.origin}/api/labels.undo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-grapheme-token': server.token },
      body: JSON.stringify({ annotator: annotator(c) }),
    });
    const e = (await res.json()) as { ok: boolean; value?: { imageIds: number[] } };
    const after = new Database(file, { readonly: true });
    const now = after.prepare('SELECT state, root FROM labels WHERE image_id = ?').get(last.image_id) as {
      state: string;
      root: number | null;
    };
    after.close();
    const undone =
      e.ok &&
      e.value!.imageIds.includes(last.image_id) &&
      now.state === last.before_state &&
      now.root === last.before_root;
    if (!undone) {
      counts.undoFailed++;
      counts.failures.push(
        `undo of ${annotator(c)}: ${JSON.stringify(e)} left ${JSON.stringify(now)}, expected ${JSON.stringify(last)}`,
      );
    }
  }
}
