/**
 * The desktop shell: one secure window over the same dispatcher as browser
 * mode, the renderer and images served from a custom protocol, a native menu,
 * drag-and-drop import, single instance. Runs only under Electron.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { CHANNELS } from '../contract/channels.js';
import { createDispatcher } from '../contract/dispatcher.js';
import { fail } from '../contract/envelope.js';
import { logInternalError } from '../service/log.js';
import { Service } from '../service/service.js';
import { dataDir, ensureStarterProject } from '../service/starter.js';
import { Project } from '../store/project.js';
import { utilityLauncher } from '../service/training/launcher.js';
import { distFile } from '../shared/app-files.js';
import { CSP } from '../shared/renderer-files.js';
import { projectFromArgv } from './args.js';
import type { BrowserWindow } from 'electron';
import { buildMenuTemplate, type MenuActions } from './menu.js';
import { allowPermission, isAppUrl, isExternalLink, webPreferences } from './policy.js';
import { APP_ORIGIN, APP_SCHEME, resolveAppUrl } from './protocol.js';
import { loadBounds, saveBounds } from './window-state.js';

// Typed by the electron package's own definitions; loaded at run time (Electron's built-in module).
const electron = createRequire(import.meta.url)('electron') as typeof import('electron');
const { app, BrowserWindow: Window, ipcMain, protocol, session, Menu, dialog, shell, screen } = electron;

const rendererDir = distFile('renderer');
const preload = distFile(join('main', 'electron', 'preload.cjs'));

protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: false } },
]);

let window: BrowserWindow | null = null;
let service: Service | null = null;
let unsubscribe: (() => void) | null = null;

const home = () => (process.env.GRAPHEME_STUDIO_HOME ? dataDir() : join(app.getPath('userData')));
const recentFile = () => join(home(), 'recent.json');

function recentProjects(): string[] {
  try {
    const list = JSON.parse(readFileSync(recentFile(), 'utf8')) as unknown;
    return Array.isArray(list)
      ? list.filter((p): p is string => typeof p === 'string' && existsSync(p)).slice(0, 10)
      : [];
  } catch {
    return [];
  }
}

async function openProject(file: string): Promise<void> {
  let next: Service;
  try {
    // The trainer runs in a utilityProcess: a native crash or GPU out-of-memory there never takes the window down.
    next = new Service(new Project(file), { trainerLauncher: utilityLauncher(electron.utilityProcess) });
  } catch (err) {
    dialog.showErrorBox('Cannot open project', (err as Error).message);
    return;
  }
  unsubscribe?.();
  service?.close();
  service = next;
  service.project.startBackgroundCheckpoints();
  unsubscribe = service.subscribe((event, payload) => {
    if (window && !window.webContents.isDestroyed()) window.webContents.send(CHANNELS.event, event, payload);
  });
  app.addRecentDocument(file);
  const recent = [file, ...recentProjects().filter((p) => p !== file)].slice(0, 10);
  await mkdir(home(), { recursive: true });
  await writeFile(recentFile(), JSON.stringify(recent));
  window?.setTitle(`Grapheme Studio — ${service.project.name}`);
  installMenu();
  await window?.loadURL(`${APP_ORIGIN}/index.html#/label`);
}

function installMenu(): void {
  const w = () => window!;
  const call = (method: string, input: unknown) =>
    service
      ? createDispatcher(service.handlers, logInternalError)(method, input)
      : Promise.resolve(fail('unavailable', 'No project is open.'));
  const importWith = async (method: string, input: unknown) => {
    const result = await call(method, input);
    if (!result.ok) dialog.showErrorBox('Import failed', result.error.message);
  };
  const actions: MenuActions = {
    newProject: async () => {
      const r = await dialog.showSaveDialog(w(), {
        title: 'New project',
        filters: [{ name: 'Grapheme Studio project', extensions: ['sqlite'] }],
      });
      if (!r.canceled && r.filePath) await openProject(r.filePath);
    },
    openProject: async () => {
      const r = await dialog.showOpenDialog(w(), {
        properties: ['openFile'],
        filters: [{ name: 'Grapheme Studio project', extensions: ['sqlite', 'db'] }],
      });
      if (!r.canceled && r.filePaths[0]) await openProject(r.filePaths[0]);
    },
    openRecent: (path) => void openProject(path),
    importImages: async () => {
      const r = await dialog.showOpenDialog(w(), { title: 'Import a folder of images', properties: ['openDirectory'] });
      if (!r.canceled && r.filePaths[0]) await importWith('import.folder', { folder: r.filePaths[0] });
    },
    importParquet: async () => {
      const r = await dialog.showOpenDialog(w(), {
        properties: ['openFile', 'multiSelections'],
        filters: [{ name: 'Parquet', extensions: ['parquet'] }],
      });
      if (!r.canceled && r.filePaths.length) await importWith('import.parquet', { files: r.filePaths });
    },
    importLabels: async () => {
      const r = await dialog.showOpenDialog(w(), {
        properties: ['openFile'],
        filters: [{ name: 'CSV', extensions: ['csv'] }],
      });
      if (!r.canceled && r.filePaths[0]) await importWith('import.labels', { csv: r.filePaths[0] });
    },
    exportLabels: async () => {
      const r = await dialog.showSaveDialog(w(), {
        defaultPath: 'labels.csv',
        filters: [{ name: 'CSV', extensions: ['csv'] }],
      });
      if (!r.canceled && r.filePath) await importWith('export.labels', { out: r.filePath });
    },
    exportModel: () => actions.navigate('#/runs'),
    startTraining: () => actions.navigate('#/train'),
    navigate: (route) => void w().webContents.executeJavaScript(`location.hash = ${JSON.stringify(route)}`),
  };
  Menu.setApplicationMenu(Menu.buildFromTemplate(buildMenuTemplate(actions, recentProjects(), process.platform)));
}

function serveAppProtocol(): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const target = resolveAppUrl(request.url, rendererDir);
    if (target.kind === 'refused') return new Response(target.reason, { status: target.status });
    if (target.kind === 'image') {
      const found = service?.project.images.bytes(target.id);
      if (!found) return new Response('no such image', { status: 404 });
      return new Response(new Uint8Array(found.bytes), {
        headers: { 'content-type': found.format === 'png' ? 'image/png' : 'image/jpeg' },
      });
    }
    const body = await readFile(target.path).catch(() => null);
    if (!body) return new Response('not found', { status: 404 });
    return new Response(new Uint8Array(body), {
      headers: { 'content-type': target.mime, 'content-security-policy': CSP },
    });
  });
}

function hardenSession(): void {
  const s = session.defaultSession;
  s.setPermissionRequestHandler((_wc, permission, callback) => callback(allowPermission(permission)));
  s.setPermissionCheckHandler((_wc, permission) => allowPermission(permission));
  s.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...(details.responseHeaders ?? {}), 'Content-Security-Policy': [CSP] } });
  });
}

function createWindow(): BrowserWindow {
  const boundsFile = join(home(), 'window.json');
  const bounds = loadBounds(
    boundsFile,
    screen.getAllDisplays().map((d) => d.workArea),
  );
  const w = new Window({ ...bounds, show: false, title: 'Grapheme Studio', webPreferences: webPreferences(preload) });
  w.once('ready-to-show', () => w.show());
  w.on('close', () => saveBounds(boundsFile, w.getBounds()));
  w.webContents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  w.webContents.setWindowOpenHandler(({ url }) => {
    if (isExternalLink(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  return w;
}

function wireIpc(): void {
  ipcMain.handle(CHANNELS.invoke, async (event, method, input) => {
    // Only the app's own page may call; a navigated or injected frame gets nothing.
    if (!event.senderFrame || !isAppUrl(event.senderFrame.url) || event.sender !== window?.webContents) {
      return fail('unavailable', 'Refused: the request did not come from the app window.');
    }
    if (!service) return fail('unavailable', 'No project is open.');
    return createDispatcher(service.handlers, logInternalError)(String(method), input);
  });
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', (_event, argv) => {
    const file = projectFromArgv(argv, process.cwd());
    if (window) {
      if (window.isMinimized()) window.restore();
      window.focus();
    }
    if (file) void openProject(file);
  });
  app.on('window-all-closed', () => {
    unsubscribe?.();
    service?.close();
    app.quit();
  });
  void app.whenReady().then(async () => {
    hardenSession();
    serveAppProtocol();
    wireIpc();
    window = createWindow();
    const file = projectFromArgv(process.argv, process.cwd()) ?? (await ensureStarterProject(home()));
    await openProject(file);
  });
}
