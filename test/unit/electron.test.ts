import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHANNELS } from '../../src-main/contract/channels.js';
import { projectFromArgv } from '../../src-main/electron/args.js';
import { buildMenuTemplate, type MenuActions, type MenuItem } from '../../src-main/electron/menu.js';
import { allowPermission, isAppUrl, isExternalLink, webPreferences } from '../../src-main/electron/policy.js';
import { resolveAppUrl } from '../../src-main/electron/protocol.js';
import { DEFAULT_BOUNDS, loadBounds, saveBounds } from '../../src-main/electron/window-state.js';
import { CSP } from '../../src-main/shared/renderer-files.js';
import { ROOT, tempDir } from '../helpers.js';

describe('command line of the desktop app', () => {
  it('finds the project file after the executable, skipping flags', () => {
    expect(projectFromArgv(['/opt/Grapheme Studio/grapheme-studio', '--no-sandbox', 'data/my.sqlite'], '/home/a')).toBe(
      '/home/a/data/my.sqlite',
    );
    expect(projectFromArgv(['electron', '/app/dist/main/electron/main.js', '/abs/p.db'], '/x')).toBe('/abs/p.db');
    expect(projectFromArgv(['grapheme-studio', '--inspect=9229'], '/x')).toBeNull();
    expect(projectFromArgv(['grapheme-studio.sqlite'], '/x')).toBeNull(); // argv[0] is the executable, never a project
  });
});

describe('app:// protocol', () => {
  const dir = '/opt/app/renderer';
  it('serves files inside the renderer and images by id', () => {
    expect(resolveAppUrl('app://grapheme-studio/index.html', dir)).toEqual({
      kind: 'file',
      path: '/opt/app/renderer/index.html',
      mime: 'text/html; charset=utf-8',
    });
    expect(resolveAppUrl('app://grapheme-studio/', dir)).toMatchObject({
      kind: 'file',
      path: '/opt/app/renderer/index.html',
    });
    expect(resolveAppUrl('app://grapheme-studio/image/42', dir)).toEqual({ kind: 'image', id: 42 });
  });

  it('refuses paths outside the app, other hosts and other schemes', () => {
    for (const url of [
      'app://grapheme-studio/..%2F..%2Fetc%2Fpasswd',
      'app://grapheme-studio/%2e%2e/%2e%2e/etc/passwd',
      'app://grapheme-studio/assets/..%5C..%5C..%5Cetc%5Cpasswd',
    ]) {
      const r = resolveAppUrl(url, dir);
      // Either refused, or clamped to a file inside the renderer folder: never a path outside it.
      if (r.kind === 'file') expect(r.path.startsWith(dir + '/')).toBe(true);
      else expect(r.kind).toBe('refused');
    }
    expect(resolveAppUrl('app://grapheme-studio/assets/%00.js', dir)).toMatchObject({ kind: 'refused', status: 403 });
    expect(resolveAppUrl('app://evil/index.html', dir)).toMatchObject({ kind: 'refused', status: 403 });
    expect(resolveAppUrl('file:///etc/passwd', dir)).toMatchObject({ kind: 'refused', status: 403 });
    expect(resolveAppUrl('app://grapheme-studio/image/../../x', dir)).toMatchObject({ kind: 'file' }); // normalised inside
    expect(resolveAppUrl('app://grapheme-studio/image/abc', dir)).toMatchObject({
      kind: 'file',
      path: '/opt/app/renderer/image/abc',
    });
  });
});

describe('window policy', () => {
  it('isolates the renderer', () => {
    const prefs = webPreferences('/x/preload.cjs');
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
    });
  });

  it('allows only app pages in the window and only web links outside it', () => {
    expect(isAppUrl('app://grapheme-studio/index.html#/label')).toBe(true);
    expect(isAppUrl('https://example.com')).toBe(false);
    expect(isAppUrl('app://grapheme-studio.evil.com/')).toBe(false);
    expect(isExternalLink('https://fonts.google.com/noto')).toBe(true);
    expect(isExternalLink('file:///etc/passwd')).toBe(false);
    expect(isExternalLink('javascript:alert(1)')).toBe(false);
    expect(allowPermission('media')).toBe(false);
    expect(allowPermission('notifications')).toBe(false);
  });

  it('has a strict content security policy', () => {
    const directives = Object.fromEntries(CSP.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));
    expect(directives['default-src']).toEqual(["'self'"]);
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['object-src']).toEqual(["'none'"]);
    expect(directives['frame-ancestors']).toEqual(["'none'"]);
    expect(CSP).not.toContain('unsafe-eval');
    expect(directives['script-src']).not.toContain("'unsafe-inline'");
  });

  it('keeps the preload channel names equal to the contract', () => {
    const preload = readFileSync(join(ROOT, 'src-main', 'electron', 'preload.cts'), 'utf8');
    expect(preload).toContain(`const INVOKE = '${CHANNELS.invoke}'`);
    expect(preload).toContain(`const EVENT = '${CHANNELS.event}'`);
  });
});

describe('native menu', () => {
  const calls: string[] = [];
  const actions = new Proxy({} as MenuActions, {
    get:
      (_t, name: string) =>
      (...args: unknown[]) =>
        calls.push([name, ...args].join(':')),
  });
  const find = (items: MenuItem[], label: string): MenuItem | undefined => {
    for (const i of items) {
      if (i.label === label) return i;
      const inner = i.submenu && find(i.submenu, label);
      if (inner) return inner;
    }
    return undefined;
  };

  it('has the File actions with accelerators, recent projects, and a working Start Training', () => {
    const t = buildMenuTemplate(actions, ['/p/a.sqlite'], 'linux');
    expect(find(t, 'Open Project…')!.accelerator).toBe('CmdOrCtrl+O');
    expect(find(t, 'Import Images Folder…')).toBeDefined();
    expect(find(t, 'Import Parquet…')).toBeDefined();
    expect(find(t, 'Import Labels CSV…')).toBeDefined();
    expect(find(t, 'Export Model…')).toBeDefined();
    find(t, '/p/a.sqlite')!.click!();
    find(t, 'Start Training')!.click!();
    find(t, 'Browse')!.click!();
    expect(calls).toEqual(['openRecent:/p/a.sqlite', 'startTraining', 'navigate:#/browse']);
    expect(t[0]!.label).toBe('File');
  });

  it('adds the app menu on macOS and says when there is nothing recent', () => {
    const t = buildMenuTemplate(actions, [], 'darwin');
    expect(t[0]!.role).toBe('appMenu');
    expect(find(t, 'No recent projects')!.enabled).toBe(false);
  });
});

describe('window state', () => {
  const screen = [{ x: 0, y: 0, width: 1920, height: 1080 }];
  it('restores saved bounds that are on a screen', () => {
    const file = join(tempDir(), 'window.json');
    saveBounds(file, { x: 100, y: 50, width: 1000, height: 700 });
    expect(loadBounds(file, screen)).toEqual({ x: 100, y: 50, width: 1000, height: 700 });
  });
  it('falls back when the file is corrupt or the window would be off every screen', () => {
    const file = join(tempDir(), 'window.json');
    writeFileSync(file, '{not json');
    expect(loadBounds(file, screen)).toEqual(DEFAULT_BOUNDS);
    saveBounds(file, { x: 4000, y: 50, width: 900, height: 600 });
    expect(loadBounds(file, screen)).toEqual({ ...DEFAULT_BOUNDS, width: 900, height: 600 });
  });
});

describe('electron-builder configuration', () => {
  it("passes electron-builder's own schema validation and packs what the app needs", async () => {
    const { getConfig, validateConfiguration } = await import('app-builder-lib/out/util/config/config.js');
    const { DebugLogger } = await import('builder-util');
    const config = (await getConfig(ROOT, join(ROOT, 'electron-builder.yml'), null)) as Record<string, unknown>;
    await expect(validateConfiguration(config as never, new DebugLogger(false))).resolves.toBeUndefined();
    // And it does reject nonsense, so the check above means something.
    await expect(
      validateConfiguration({ ...config, notAnOption: true } as never, new DebugLogger(false)),
    ).rejects.toThrow(/notAnOption/);
    expect(config).toMatchObject({ appId: 'org.graphemestudio.app', productName: 'Grapheme Studio' });
    expect((config.linux as { target: string[] }).target).toEqual(['AppImage', 'deb']);
    expect((config.win as { target: string[] }).target).toEqual(['nsis']);
    expect((config.mac as { target: string[] }).target).toEqual(['dmg']);
    expect(config.asarUnpack).toContain('**/node_modules/better-sqlite3/**');
    const extra = JSON.stringify(config.extraResources);
    for (const needed of ['class_map.csv', 'starter/**/*', 'fonts/**/*']) expect(extra).toContain(needed);
  });
});
