import fs from 'node:fs';
import path from 'node:path';

/**
 * The one global switch that pauses all background work [published: kill switch]. A file
 * in the Emily data folder, so that the desktop app, the CLI and a server see the same
 * state; chat and memory keep working while it is on.
 */
export class BackgroundSwitch {
  private readonly file: string;
  constructor(home: string) {
    this.file = path.join(home, 'background-paused');
  }

  get paused(): boolean {
    return fs.existsSync(this.file);
  }

  pause(reason = 'paused by the user'): void {
    fs.writeFileSync(this.file, `${JSON.stringify({ reason, at: new Date().toISOString() })}\n`, { mode: 0o600 });
  }

  resume(): void {
    fs.rmSync(this.file, { force: true });
  }
}
