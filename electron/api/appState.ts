import fs from 'node:fs';
import path from 'node:path';

/** What the app remembers between launches that belongs to no profile. */
export interface AppStateData {
  currentProfileId: string | null;
  backgroundPaused: boolean;
}

const DEFAULTS: AppStateData = { currentProfileId: null, backgroundPaused: false };

/**
 * A small JSON file in Emily's home; a corrupt file means defaults, never a crash. Without a
 * file (server mode's per-account APIs) it lives in memory only.
 */
export class AppState {
  private data: AppStateData;

  constructor(private readonly file: string | null, initial: Partial<AppStateData> = {}) {
    this.data = { ...DEFAULTS, ...initial };
    if (file === null) return;
    try {
      const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<AppStateData>;
      if (typeof parsed.currentProfileId === 'string' || parsed.currentProfileId === null) this.data.currentProfileId = parsed.currentProfileId ?? null;
      if (typeof parsed.backgroundPaused === 'boolean') this.data.backgroundPaused = parsed.backgroundPaused;
    } catch {
      // Missing or unreadable: start from defaults.
    }
  }

  get(): AppStateData {
    return { ...this.data };
  }

  update(patch: Partial<AppStateData>): AppStateData {
    this.data = { ...this.data, ...patch };
    if (this.file === null) return this.get();
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(this.data));
    fs.renameSync(tmp, this.file);
    return this.get();
  }
}
