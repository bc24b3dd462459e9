import { safeStorage } from 'electron';
import type { SecretCodec } from '../secrets/secretStore.js';

/** API keys sealed with the OS keychain (Keychain, DPAPI, libsecret) through Electron. */
export const safeStorageCodec: SecretCodec = {
  kind: 'electron-safeStorage',
  seal: (plain) => safeStorage.encryptString(plain).toString('base64'),
  open: (sealed) => safeStorage.decryptString(Buffer.from(sealed, 'base64')),
};
