import { readFileSync, writeFileSync } from 'node:fs';

export interface Bounds {
  x: number;
  y: number;
  width: number;
  height: number;
}

export const DEFAULT_BOUNDS: Bounds = { x: 80, y: 60, width: 1280, height: 820 };
const MIN = { width: 800, height: 560 };

/** Reads remembered window bounds; falls back to defaults when missing, corrupt or off every screen. */
export function loadBounds(file: string, workAreas: readonly Bounds[]): Bounds {
  let saved: Partial<Bounds>;
  try {
    saved = JSON.parse(readFileSync(file, 'utf8')) as Partial<Bounds>;
  } catch {
    return DEFAULT_BOUNDS;
  }
  const nums = [saved.x, saved.y, saved.width, saved.height];
  if (!nums.every((n) => typeof n === 'number' && Number.isFinite(n))) return DEFAULT_BOUNDS;
  const b = {
    x: saved.x!,
    y: saved.y!,
    width: Math.max(MIN.width, saved.width!),
    height: Math.max(MIN.height, saved.height!),
  };
  // Keep the window if its title bar is on some display (a monitor may have been unplugged).
  const visible = workAreas.some(
    (a) => b.x + 100 > a.x && b.x < a.x + a.width - 100 && b.y >= a.y && b.y < a.y + a.height - 40,
  );
  return visible ? b : { ...DEFAULT_BOUNDS, width: b.width, height: b.height };
}

export function saveBounds(file: string, bounds: Bounds): void {
  try {
    writeFileSync(file, JSON.stringify(bounds));
  } catch {
    // Remembering the window is a convenience; never fail the app for it.
  }
}
