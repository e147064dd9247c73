/** The native menu as plain data: built here, handed to Menu.buildFromTemplate in main.ts. */
import type { MenuItemConstructorOptions } from 'electron';

export interface MenuActions {
  newProject(): void;
  openProject(): void;
  openRecent(path: string): void;
  importImages(): void;
  importParquet(): void;
  importLabels(): void;
  exportLabels(): void;
  exportModel(): void;
  startTraining(): void;
  navigate(route: '#/label' | '#/browse' | '#/train' | '#/runs'): void;
}

/**
 * A menu entry as this shell builds it: Electron's own template fields (a role must be one Electron knows),
 * narrowed to a plain click and a nested array so tests can walk it. Type-only: nothing loads electron here.
 */
export interface MenuItem extends Pick<
  MenuItemConstructorOptions,
  'label' | 'role' | 'type' | 'accelerator' | 'enabled'
> {
  click?: () => void;
  submenu?: MenuItem[];
}

export function buildMenuTemplate(
  actions: MenuActions,
  recent: readonly string[],
  platform: NodeJS.Platform,
): MenuItem[] {
  const isMac = platform === 'darwin';
  const recentItems: MenuItem[] = recent.length
    ? recent.map((path) => ({ label: path, click: () => actions.openRecent(path) }))
    : [{ label: 'No recent projects', enabled: false }];
  const template: MenuItem[] = [
    {
      label: 'File',
      submenu: [
        { label: 'New Project…', accelerator: 'CmdOrCtrl+N', click: actions.newProject },
        { label: 'Open Project…', accelerator: 'CmdOrCtrl+O', click: actions.openProject },
        { label: 'Open Recent', submenu: recentItems },
        { type: 'separator' },
        { label: 'Import Images Folder…', accelerator: 'CmdOrCtrl+I', click: actions.importImages },
        { label: 'Import Parquet…', click: actions.importParquet },
        { label: 'Import Labels CSV…', click: actions.importLabels },
        { type: 'separator' },
        { label: 'Export Labels CSV…', click: actions.exportLabels },
        { label: 'Export Model…', accelerator: 'CmdOrCtrl+E', click: actions.exportModel },
        { type: 'separator' },
        { role: isMac ? 'close' : 'quit' },
      ],
    },
    { label: 'Edit', submenu: [{ role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' }] },
    {
      label: 'View',
      submenu: [
        { label: 'Label', accelerator: 'CmdOrCtrl+1', click: () => actions.navigate('#/label') },
        { label: 'Browse', accelerator: 'CmdOrCtrl+2', click: () => actions.navigate('#/browse') },
        { label: 'Train', accelerator: 'CmdOrCtrl+3', click: () => actions.navigate('#/train') },
        { label: 'Runs', accelerator: 'CmdOrCtrl+4', click: () => actions.navigate('#/runs') },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { role: 'togglefullscreen' },
      ],
    },
    {
      label: 'Training',
      submenu: [{ label: 'Start Training', accelerator: 'CmdOrCtrl+T', click: actions.startTraining }],
    },
    { role: 'windowMenu' },
  ];
  if (isMac) template.unshift({ role: 'appMenu' });
  return template;
}
