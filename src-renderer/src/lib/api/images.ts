/**
 * Image bytes by id, and a small cache of decoded image elements so the
 * Label view can show the next image in the same frame as the confirm key.
 */
import { HTTP } from '$contract/channels';

export function imageUrl(id: number): string {
  return `${HTTP.imagePrefix}${id}`;
}

const KEEP = 24;

class DecodedImages {
  #entries = new Map<number, { el: HTMLImageElement; ready: Promise<HTMLImageElement>; decoded: boolean }>();

  /** A decoded element for an image; decoding starts now if not already under way. */
  load(id: number): Promise<HTMLImageElement> {
    const hit = this.#entries.get(id);
    if (hit) {
      this.#entries.delete(id);
      this.#entries.set(id, hit);
      return hit.ready;
    }
    const el = new Image();
    el.decoding = 'async';
    el.draggable = false;
    el.src = imageUrl(id);
    const entry = { el, ready: Promise.resolve(el), decoded: false };
    entry.ready = el.decode().then(
      () => {
        entry.decoded = true;
        return el;
      },
      () => {
        // A broken image still shows (as broken) rather than blocking the queue, but is not kept:
        // the server may have been away for a moment, and the next look should ask again.
        if (this.#entries.get(id) === entry) this.#entries.delete(id);
        return el;
      },
    );
    this.#entries.set(id, entry);
    const { ready } = entry;
    while (this.#entries.size > KEEP) {
      const oldest = this.#entries.keys().next().value as number;
      this.#entries.delete(oldest);
    }
    return ready;
  }

  /** The element if it is already decoded, for a same-frame swap. */
  peek(id: number): HTMLImageElement | undefined {
    const hit = this.#entries.get(id);
    return hit?.decoded ? hit.el : undefined;
  }

  preload(ids: number[]): void {
    for (const id of ids) void this.load(id);
  }
}

export const decodedImages = new DecodedImages();
