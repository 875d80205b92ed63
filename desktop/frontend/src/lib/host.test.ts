import { describe, expect, it } from 'vitest';
import { browserHost, maskKey } from './host';

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
