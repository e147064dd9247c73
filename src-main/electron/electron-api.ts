/**
 * The part of Electron's API this shell uses, typed here so that the build
 * and the type check do not depend on the electron package, which npm drops
 * where its binary cannot be downloaded. main.ts loads the real module.
 */
export interface WebContents {
  send(channel: string, ...args: unknown[]): void;
  on(event: 'will-navigate', listener: (event: { preventDefault(): void }, url: string) => void): void;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' | 'allow' }): void;
  executeJavaScript(code: string): Promise<unknown>;
  isDestroyed(): boolean;
  id: number;
}

export interface BrowserWindow {
  webContents: WebContents;
  loadURL(url: string): Promise<void>;
  getBounds(): { x: number; y: number; width: number; height: number };
  isMinimized(): boolean;
  restore(): void;
  focus(): void;
  show(): void;
  on(event: 'close' | 'closed' | 'ready-to-show', listener: () => void): void;
  once(event: 'ready-to-show', listener: () => void): void;
  setTitle(title: string): void;
}

export interface IpcMainInvokeEvent {
  sender: WebContents;
  senderFrame: { url: string } | null;
}

export interface UtilityProcess {
  pid?: number;
  stdout: NodeJS.ReadableStream | null;
  stderr: NodeJS.ReadableStream | null;
  postMessage(message: unknown): void;
  kill(): boolean;
  on(event: 'message', listener: (message: unknown) => void): this;
  on(event: 'exit', listener: (code: number) => void): this;
  on(event: 'spawn', listener: () => void): this;
}

export interface ElectronApi {
  app: {
    whenReady(): Promise<void>;
    on(event: string, listener: (...args: never[]) => void): void;
    quit(): void;
    getPath(name: 'userData' | 'documents'): string;
    requestSingleInstanceLock(): boolean;
    addRecentDocument(path: string): void;
    setName(name: string): void;
    isPackaged: boolean;
  };
  BrowserWindow: new (options: Record<string, unknown>) => BrowserWindow;
  ipcMain: {
    handle(channel: string, handler: (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown): void;
  };
  protocol: {
    registerSchemesAsPrivileged(schemes: { scheme: string; privileges: Record<string, boolean> }[]): void;
    handle(scheme: string, handler: (request: { url: string }) => Response | Promise<Response>): void;
  };
  session: {
    defaultSession: {
      setPermissionRequestHandler(
        handler: (wc: unknown, permission: string, callback: (ok: boolean) => void) => void,
      ): void;
      setPermissionCheckHandler(handler: (wc: unknown, permission: string) => boolean): void;
      webRequest: {
        onHeadersReceived(
          listener: (
            details: { responseHeaders?: Record<string, string[]> },
            callback: (response: { responseHeaders: Record<string, string[]> }) => void,
          ) => void,
        ): void;
      };
    };
  };
  Menu: { buildFromTemplate(template: unknown[]): unknown; setApplicationMenu(menu: unknown): void };
  dialog: {
    showOpenDialog(
      window: BrowserWindow,
      options: { title?: string; properties: string[]; filters?: { name: string; extensions: string[] }[] },
    ): Promise<{ canceled: boolean; filePaths: string[] }>;
    showSaveDialog(
      window: BrowserWindow,
      options: { title?: string; defaultPath?: string; filters?: { name: string; extensions: string[] }[] },
    ): Promise<{ canceled: boolean; filePath?: string }>;
    showErrorBox(title: string, content: string): void;
  };
  shell: { openExternal(url: string): Promise<void> };
  screen: { getAllDisplays(): { workArea: { x: number; y: number; width: number; height: number } }[] };
  utilityProcess: {
    fork(
      modulePath: string,
      args?: string[],
      options?: { stdio?: 'pipe' | 'ignore' | 'inherit'; serviceName?: string; env?: NodeJS.ProcessEnv },
    ): UtilityProcess;
  };
}
