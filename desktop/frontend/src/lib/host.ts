// The app runs in two hosts: the Wails desktop shell (native settings file, native
// dialogs; window.go.main.App) and a plain browser (localStorage, <input type=file>),
// which the e2e tests use. Screens only see this interface.
import type { Connection } from './graphql';

export interface SettingsView {
  serverUrl: string;
  hasKey: boolean;
  keyPrefix: string;
}

export interface OpenedFile {
  name: string;
  text: string;
}

export interface Host {
  kind: 'desktop' | 'browser';
  getSettings(): Promise<SettingsView>;
  /** An empty apiKey keeps the stored key. */
  saveSettings(serverUrl: string, apiKey: string): Promise<SettingsView>;
  forgetKey(): Promise<SettingsView>;
  connection(): Promise<Connection>;
  /** null when the user cancelled. */
  openCsv(): Promise<OpenedFile | null>;
  /** Path (or file name) written, null when cancelled. */
  saveText(defaultName: string, content: string): Promise<string | null>;
  /** Opens a link in the system browser (the desktop webview must not navigate away). */
  openUrl(url: string): void;
  ready(state: string): void;
}

/** The Go methods bound by desktop/app.go. */
export interface GoApp {
  GetSettings(): Promise<SettingsView>;
  SaveSettings(serverUrl: string, apiKey: string): Promise<SettingsView>;
  ForgetKey(): Promise<SettingsView>;
  Connection(): Promise<Connection>;
  OpenCSV(): Promise<OpenedFile | null>;
  SaveTextFile(defaultName: string, content: string): Promise<string>;
  Ready(state: string): Promise<void>;
}

/** The part of the Wails runtime (window.runtime, injected by Wails) the app uses. */
export interface WailsRuntime {
  BrowserOpenURL(url: string): void;
}

declare global {
  interface Window {
    go?: { main?: { App?: GoApp } };
    runtime?: Partial<WailsRuntime>;
  }
}

type OpenWindow = (url: string, target: string, features: string) => unknown;

/** Wails' BrowserOpenURL when there is one, else a new browser tab. */
export function urlOpener(runtime: Partial<WailsRuntime> | undefined, open: OpenWindow | undefined): (url: string) => void {
  return (url) => {
    if (typeof runtime?.BrowserOpenURL === 'function') runtime.BrowserOpenURL(url);
    else open?.(url, '_blank', 'noopener');
  };
}

const windowOpen: OpenWindow | undefined = typeof window !== 'undefined' ? (u, t, f) => window.open(u, t, f) : undefined;

export function desktopHost(app: GoApp, runtime?: Partial<WailsRuntime>): Host {
  return {
    kind: 'desktop',
    getSettings: () => app.GetSettings(),
    saveSettings: (u, k) => app.SaveSettings(u, k),
    forgetKey: () => app.ForgetKey(),
    connection: () => app.Connection(),
    openCsv: async () => (await app.OpenCSV()) ?? null,
    saveText: async (n, c) => (await app.SaveTextFile(n, c)) || null,
    // Looked up per call: Wails injects window.runtime alongside window.go.
    openUrl: (url) => urlOpener(runtime ?? (typeof window !== 'undefined' ? window.runtime : undefined), windowOpen)(url),
    ready: (s) => void app.Ready(s).catch(() => {}),
  };
}

const STORAGE_KEY = 'tessera.desktop.settings';

export function maskKey(key: string): string {
  if (!key) return '';
  return `${key.slice(0, Math.min(6, Math.floor(key.length / 3)))}…`;
}

/** Browser fallback; storage is a parameter so tests can pass a fake. */
export function browserHost(storage: Storage, doc?: Document): Host {
  const load = (): Connection => {
    try {
      const v = JSON.parse(storage.getItem(STORAGE_KEY) ?? '{}');
      return { serverUrl: String(v.serverUrl ?? ''), apiKey: String(v.apiKey ?? '') };
    } catch {
      return { serverUrl: '', apiKey: '' };
    }
  };
  const view = (c: Connection): SettingsView => ({ serverUrl: c.serverUrl, hasKey: c.apiKey !== '', keyPrefix: maskKey(c.apiKey) });
  const store = (c: Connection) => {
    storage.setItem(STORAGE_KEY, JSON.stringify(c));
    return view(c);
  };
  return {
    kind: 'browser',
    getSettings: async () => view(load()),
    saveSettings: async (serverUrl, apiKey) => {
      const cur = load();
      return store({ serverUrl: serverUrl.trim(), apiKey: apiKey.trim() || cur.apiKey });
    },
    forgetKey: async () => store({ ...load(), apiKey: '' }),
    connection: async () => load(),
    openCsv: () => pickFile(doc ?? document),
    saveText: async (name, content) => {
      const d = doc ?? document;
      const a = d.createElement('a');
      a.href = URL.createObjectURL(new Blob([content], { type: 'application/json' }));
      a.download = name;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 1000);
      return name;
    },
    openUrl: (url) => urlOpener(undefined, windowOpen)(url),
    ready: (s) => console.info(`desktop: rendered ${s}`),
  };
}

function pickFile(doc: Document): Promise<OpenedFile | null> {
  return new Promise((resolve, reject) => {
    const input = doc.createElement('input');
    input.type = 'file';
    input.accept = '.csv,text/csv';
    input.addEventListener('change', () => {
      const f = input.files?.[0];
      if (!f) return resolve(null);
      f.text().then((text) => resolve({ name: f.name, text }), reject);
    });
    input.addEventListener('cancel', () => resolve(null));
    input.click();
  });
}

export function detectHost(): Host {
  const app = typeof window !== 'undefined' ? window.go?.main?.App : undefined;
  return app ? desktopHost(app) : browserHost(window.localStorage);
}
