import { join, normalize, resolve, sep } from 'node:path';
import { contentType } from '../shared/renderer-files.js';

/** The privileged scheme the window loads from: standard and secure, so CSP 'self' and fetch work. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'grapheme-studio';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

export type AppRequest =
  | { kind: 'file'; path: string; mime: string }
  | { kind: 'image'; id: number }
  | { kind: 'refused'; status: 403 | 404; reason: string };

/**
 * Maps an app:// URL to what may be served: a file inside the built
 * renderer, or a stored image by id. Anything outside (other hosts,
 * traversal, absolute paths, unknown image ids) is refused.
 */
export function resolveAppUrl(url: string, rendererDir: string): AppRequest {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { kind: 'refused', status: 404, reason: 'malformed URL' };
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) {
    return { kind: 'refused', status: 403, reason: `foreign origin ${u.protocol}//${u.host}` };
  }
  let path: string;
  try {
    path = decodeURIComponent(u.pathname);
  } catch {
    return { kind: 'refused', status: 404, reason: 'malformed path' };
  }
  const image = /^\/image\/(\d{1,12})$/.exec(path);
  if (image) return { kind: 'image', id: Number(image[1]) };
  if (path.includes('\0')) return { kind: 'refused', status: 403, reason: 'NUL in path' };
  const root = resolve(rendererDir);
  const rel = normalize(path).replace(/^([/\\])+/, '') || 'index.html';
  const file = join(root, rel);
  if (file !== root && !file.startsWith(root + sep)) return { kind: 'refused', status: 403, reason: 'outside the app' };
  return { kind: 'file', path: file, mime: contentType(file) };
}
