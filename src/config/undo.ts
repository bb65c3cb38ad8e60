// Taking back a command's writes when a later step fails (`init` with a read-only Codex home): files get
// their bytes from before (or go, with the folder made for them, when there were none), other steps run
// their own undo. Undone in reverse order; an undo step that fails does not stop the others.
import { existsSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from './atomic-file';

export class Undo {
  private readonly steps: (() => unknown)[] = [];

  add(step: () => unknown): void {
    this.steps.push(step);
  }

  /**
   * Remembers a file as it is now (absent included), to put it back on `run`; `throughLink` for a user's
   * file that may be a link (its target gets the bytes back, the link stays).
   */
  keepFile(file: string, options: { throughLink?: boolean } = {}): void {
    let before: Buffer | null = null;
    try {
      before = readFileSync(file);
    } catch (error) {
      // Absent: it goes again on `run`. Not a file we can read (a folder): not ours to take back.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return;
    }
    const dir = dirname(file);
    const dirExisted = existsSync(dir);
    this.add(() => {
      if (before !== null) {
        writeFileAtomic(file, before, { throughLink: options.throughLink === true });
        return;
      }
      rmSync(file, { force: true });
      if (!dirExisted) rmdirSync(dir);
    });
  }

  async run(): Promise<void> {
    for (const step of this.steps.reverse()) {
      try {
        await step();
      } catch {
        // Best effort: the others are still taken back.
      }
    }
  }
}
