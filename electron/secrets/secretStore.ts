import fs from 'node:fs';
import path from 'node:path';
import { EmilyError } from '../core/errors.js';

/**
 * Where API keys live: never in a user database, an export or a log. Names are
 * "<profileId>/<setting>". Electron's main process encrypts with safeStorage; elsewhere
 * (browser mode, CLI) values sit in a 0600 file.
 */
export interface SecretStore {
  get(name: string): Promise<string | null>;
  set(name: string, value: string): Promise<void>;
  delete(name: string): Promise<void>;
  /** Removes every secret whose name starts with prefix (a deleted profile's keys). */
  deletePrefix(prefix: string): Promise<void>;
}

/** How values are sealed on disk: identity for the 0600 file, safeStorage in Electron. */
export interface SecretCodec {
  readonly kind: string;
  seal(plain: string): string;
  open(sealed: string): string;
}

export const plainCodec: SecretCodec = { kind: 'plain', seal: (s) => s, open: (s) => s };

const NAME_RE = /^[a-z][a-z0-9]{11}\/[a-z][a-z0-9_.]{0,63}$/;

/** A JSON map name → sealed value in one 0600 file, replaced atomically on each write. */
export class FileSecretStore implements SecretStore {
  constructor(private readonly file: string, private readonly codec: SecretCodec = plainCodec) {}

  private read(): Record<string, string> {
    if (!fs.existsSync(this.file)) return {};
    try {
      const parsed = JSON.parse(fs.readFileSync(this.file, 'utf8')) as { codec?: string; values?: Record<string, string> };
      if (parsed.codec !== this.codec.kind) {
        throw new EmilyError('DATA_DIR_INVALID', `the key store ${this.file} was written by another kind of Emily (${String(parsed.codec)}); enter your API keys again in Settings after moving it aside`);
      }
      return parsed.values ?? {};
    } catch (e) {
      if (e instanceof EmilyError) throw e;
      throw new EmilyError('DATA_DIR_INVALID', `the key store ${this.file} is unreadable; move it aside and enter your API keys again in Settings`, { cause: e });
    }
  }

  private write(values: Record<string, string>): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify({ codec: this.codec.kind, values }), { mode: 0o600 });
    fs.renameSync(tmp, this.file);
  }

  async get(name: string): Promise<string | null> {
    const v = this.read()[checkName(name)];
    return v === undefined ? null : this.codec.open(v);
  }

  async set(name: string, value: string): Promise<void> {
    const values = this.read();
    values[checkName(name)] = this.codec.seal(value);
    this.write(values);
  }

  async delete(name: string): Promise<void> {
    const values = this.read();
    if (!(checkName(name) in values)) return;
    delete values[name];
    this.write(values);
  }

  async deletePrefix(prefix: string): Promise<void> {
    const values = this.read();
    const keep = Object.fromEntries(Object.entries(values).filter(([k]) => !k.startsWith(prefix)));
    if (Object.keys(keep).length !== Object.keys(values).length) this.write(keep);
  }
}

/** The key store outside Electron: a 0600 file in Emily's home (browser mode, the CLI). */
export function homeSecretStore(home: string): FileSecretStore {
  return new FileSecretStore(path.join(home, 'desktop-secrets.json'));
}

/** Server mode's key store: every account's keys, apart from the single-user one. */
export function serverSecretStore(home: string): FileSecretStore {
  return new FileSecretStore(path.join(home, 'server-secrets.json'));
}

/** Every key store a home can hold: the desktop's (sealed or plain) and server mode's. */
const STORE_FILES = ['desktop-secrets.json', 'desktop-secrets.enc.json', 'server-secrets.json'];

/**
 * Forgets a deleted profile's keys in every store of the home, whichever process sealed
 * them: names are in the clear, so nothing needs to be unsealed to drop them. Returns how
 * many were removed.
 */
export function forgetProfileSecrets(home: string, profileId: string): number {
  let removed = 0;
  const prefix = `${profileId}/`;
  for (const name of STORE_FILES) {
    const file = path.join(home, name);
    if (!fs.existsSync(file)) continue;
    let parsed: { codec?: string; values?: Record<string, string> };
    try {
      parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof parsed;
    } catch {
      continue; // an unreadable store is reported by whoever uses it
    }
    const values = parsed.values ?? {};
    const keep = Object.fromEntries(Object.entries(values).filter(([k]) => !k.startsWith(prefix)));
    const n = Object.keys(values).length - Object.keys(keep).length;
    if (!n) continue;
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify({ ...parsed, values: keep }), { mode: 0o600 });
    fs.renameSync(tmp, file);
    removed += n;
  }
  return removed;
}

function checkName(name: string): string {
  if (!NAME_RE.test(name)) throw new EmilyError('BAD_INPUT', `"${name.slice(0, 80)}" is not a secret name (profile id / setting)`);
  return name;
}
