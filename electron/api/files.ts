import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { EmilyError } from '../core/errors.js';

export interface FileEntry {
  ref: string;
  path: string;
  /** read: an import source; write: an export target. */
  mode: 'read' | 'write';
  /** Display name (the chosen file's base name). */
  name: string;
  /** Browser mode's uploads and downloads live in a scratch folder and are removed later. */
  scratch: boolean;
}

/**
 * The renderer never names a path: a native dialog (desktop) or an upload / download slot
 * (browser mode) registers a file here and the renderer holds only its opaque ref.
 */
export class FileRegistry {
  private readonly entries = new Map<string, FileEntry>();

  constructor(readonly scratchDir: string) {}

  register(filePath: string, mode: FileEntry['mode'], opts: { name?: string; scratch?: boolean } = {}): FileEntry {
    const ref = `f_${randomBytes(18).toString('base64url')}`;
    const entry: FileEntry = { ref, path: path.resolve(filePath), mode, name: opts.name ?? path.basename(filePath), scratch: opts.scratch ?? false };
    this.entries.set(ref, entry);
    return entry;
  }

  /** A fresh file in the scratch folder (an upload, or an export to be downloaded). */
  scratchFile(mode: FileEntry['mode'], name: string): FileEntry {
    fs.mkdirSync(this.scratchDir, { recursive: true, mode: 0o700 });
    const safe = name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100) || 'file';
    return this.register(path.join(this.scratchDir, `${randomBytes(8).toString('hex')}-${safe}`), mode, { name: safe, scratch: true });
  }

  get(ref: string, mode?: FileEntry['mode']): FileEntry {
    const e = this.entries.get(ref);
    if (!e) throw new EmilyError('NOT_FOUND', 'that file is no longer known to Emily; choose it again');
    if (mode && e.mode !== mode) throw new EmilyError('FORBIDDEN', `that file was chosen for ${e.mode === 'read' ? 'reading' : 'writing'}, not for ${mode === 'read' ? 'reading' : 'writing'}`);
    return e;
  }

  /** Removes the scratch files (uploads and downloads of this launch). */
  cleanup(): void {
    fs.rmSync(this.scratchDir, { recursive: true, force: true });
    this.entries.clear();
  }
}
