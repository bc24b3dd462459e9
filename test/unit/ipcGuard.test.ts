import { describe, expect, it } from 'vitest';
import { isTrustedSender } from '../../electron/api/ipcGuard.js';

describe('IPC sender check (Electron main)', () => {
  it('trusts only our window showing app://emily', () => {
    expect(isTrustedSender('app://emily/index.html', true)).toBe(true);
    expect(isTrustedSender('app://emily/', true)).toBe(true);
    expect(isTrustedSender('app://emily/index.html', false)).toBe(false);
    for (const url of ['https://evil.example/', 'file:///etc/passwd', 'app://emily.evil.example/', 'app://evil/', 'app://user@emily/', 'app://emily:99/', 'about:blank', '', 'not a url']) {
      expect(isTrustedSender(url, true)).toBe(false);
    }
    expect(isTrustedSender(undefined, true)).toBe(false);
  });

});
