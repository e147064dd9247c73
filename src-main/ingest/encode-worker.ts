/** Worker thread: encodes parquet rows (hash, training cache, PNG) off the importing thread. */
import { parentPort } from 'node:worker_threads';
import { encodeImage } from './encode.js';

export interface EncodeRequest {
  id: number;
  gray: Uint8Array;
  width: number;
  height: number;
}

parentPort!.on('message', (req: EncodeRequest) => {
  try {
    const out = encodeImage(req.gray, req.width, req.height, { png: true });
    parentPort!.postMessage({ id: req.id, ...out });
  } catch (err) {
    parentPort!.postMessage({ id: req.id, error: (err as Error).message });
  }
});
