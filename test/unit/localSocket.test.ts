import { describe, expect, it } from 'vitest';
import { socketDirFor, socketDirSetting } from '../../electron/cluster/localSocket.js';

describe('the embedded server socket', () => {
  it('lives in the data folder, except on Windows or when the path is too long for a socket address', () => {
    expect(socketDirFor('/home/ana/.config/Emily/pgdata', 'linux')).toBe('/home/ana/.config/Emily/pgdata');
    expect(socketDirFor('/Users/ana/Library/Application Support/Emily/pgdata', 'darwin')).toBe('/Users/ana/Library/Application Support/Emily/pgdata');
    expect(socketDirFor('C:\\Users\\ana\\AppData\\Roaming\\Emily\\pgdata', 'win32')).toBeUndefined();
    expect(socketDirFor(`/home/${'a'.repeat(80)}/pgdata`, 'linux')).toBeUndefined();
    // Multi-byte characters count in bytes.
    expect(socketDirFor(`/home/${'é'.repeat(40)}/pgdata`, 'linux')).toBeUndefined();
    // The setting is a comma-separated list in quotes: such folders keep to TCP.
    for (const odd of ["/home/o'brien/pgdata", '/home/a,b/pgdata', '/home/a"b/pgdata', '/home/a\\b/pgdata', '/home/a\nb/pgdata']) expect(socketDirFor(odd, 'linux')).toBeUndefined();
  });

  it('is written into the server settings', () => {
    expect(socketDirSetting(undefined)).toBe("unix_socket_directories = ''");
    expect(socketDirSetting('/home/ana/.config/Emily/pgdata')).toBe("unix_socket_directories = '/home/ana/.config/Emily/pgdata'");
  });
});
