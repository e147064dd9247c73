/**
 * The security settings of the window, written once and unit-tested: Electron's
 * checklist (context isolation, sandbox, no Node in the renderer, no remote
 * content, deny permissions, block navigation and new windows).
 */
import { APP_ORIGIN } from './protocol.js';

export function webPreferences(preload: string) {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    spellcheck: false,
  } as const;
}

/** Only the app's own pages may be shown in the window. */
export function isAppUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}` === APP_ORIGIN;
  } catch {
    return false;
  }
}

/** Links the user may open in the system browser: web pages only, never file: or custom schemes. */
export function isExternalLink(url: string): boolean {
  try {
    const { protocol } = new URL(url);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
}

/** Permissions (camera, notifications, geolocation...) the renderer may get: none. */
export function allowPermission(_permission: string): boolean {
  return false;
}
