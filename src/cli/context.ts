// What every command gets besides its own options: where it runs, how it prints, and where our hook
// front-ends are installed (resolved from the running bundle, so a global npm install works).
import type { Readable, Writable } from 'node:stream';
import type { HookTarget } from '../codex/hooks-file';
import type { Env } from '../config/paths';
import type { Output } from './output';

export interface CliContext {
  env: Env;
  cwd: string;
  out: Output;
  stdin: Readable & { isTTY?: boolean };
  /** Both ends are a terminal: prompts are allowed. */
  interactive: boolean;
  /** Where spinners draw (stderr); they draw only when it is a terminal. */
  progress: Writable & { isTTY?: boolean; columns?: number };
  /** The command prints --json: no spinner either. */
  machineOutput?: boolean;
  target: HookTarget;
}
