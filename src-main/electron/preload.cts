/**
 * The only bridge between the sandboxed renderer and the app: invoke a
 * contract call, listen to events. CommonJS because sandboxed preloads
 * cannot be ES modules. Channel names repeat src-main/contract/channels.ts
 * (a sandboxed preload cannot import it); a unit test keeps them equal.
 */
// A type-only import of Electron's own types; the module itself is Electron's built-in.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { contextBridge, ipcRenderer, webUtils } = require('electron') as typeof import('electron');

const INVOKE = 'grapheme-studio:invoke';
const EVENT = 'grapheme-studio:event';

contextBridge.exposeInMainWorld('graphemeStudio', {
  invoke: (method: string, input: unknown) => ipcRenderer.invoke(INVOKE, String(method), input),
  /** The file-system path of a File dropped on the window (drag-and-drop import). */
  pathForFile: (file: File) => webUtils.getPathForFile(file),
  on: (callback: (event: string, payload: unknown) => void) => {
    const listener = (_e: unknown, event: string, payload: unknown) => callback(event, payload);
    ipcRenderer.on(EVENT, listener);
    return () => {
      ipcRenderer.removeListener(EVENT, listener);
    };
  },
});
