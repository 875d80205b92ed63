import { describe, expect, it, vi } from 'vitest';
import { browserHost, maskKey, urlOpener } from './host';

function memoryStorage(): Storage {
  const m = new Map<string, string>();
  return {
    get length() {
      return m.size;
    },
    clear: () => m.clear(),
    getItem: (k) => m.get(k) ?? null,
    key: (i) => [...m.keys()][i] ?? null,
    removeItem: (k) => void m.delete(k),
    setItem: (k, v) => void m.set(k, v),
  };
}

describe('browserHost settings', () => {
  it('remembers URL and key, shows only a masked prefix, keeps the key when left empty', async () => {
    const storage = memoryStorage();
    const host = browserHost(storage);
    expect(await host.getSettings()).toEqual({ serverUrl: '', hasKey: false, keyPrefix: '' });

    const v = await host.saveSettings(' http://h:1 ', 'tsk_secretsecretsecret');
    expect(v).toEqual({ serverUrl: 'http://h:1', hasKey: true, keyPrefix: 'tsk_se…' });

    await host.saveSettings('http://h:2', '');
    expect(await browserHost(storage).connection()).toEqual({ serverUrl: 'http://h:2', apiKey: 'tsk_secretsecretsecret' });

    expect((await host.forgetKey()).hasKey).toBe(false);
    expect((await host.connection()).apiKey).toBe('');
  });

  it('survives corrupt storage', async () => {
    const storage = memoryStorage();
    storage.setItem('tessera.desktop.settings', '{oops');
    expect((await browserHost(storage).getSettings()).hasKey).toBe(false);
  });

  it('masks like the Go side', () => {
    expect(maskKey('abc')).toBe('a…');
    expect(maskKey('tsk_0123456789abcdefg')).toBe('tsk_01…');
  });
});

describe('urlOpener', () => {
  it('uses the Wails runtime when it is there, else a new window', () => {
    const open = vi.fn();
    const BrowserOpenURL = vi.fn();
    urlOpener({ BrowserOpenURL }, open)('http://h/x.csv');
    expect(BrowserOpenURL).toHaveBeenCalledWith('http://h/x.csv');
    expect(open).not.toHaveBeenCalled();
    urlOpener(undefined, open)('http://h/y.csv');
    urlOpener({}, open)('http://h/z.csv');
    expect(open.mock.calls).toEqual([
      ['http://h/y.csv', '_blank', 'noopener'],
      ['http://h/z.csv', '_blank', 'noopener'],
    ]);
  });
});
