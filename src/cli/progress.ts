// A spinner for waits a user would otherwise watch in silence (a check with Infinium, a retry, doctor's API
// check): @clack/prompts' spinner (prompts.ts, where a cancel exits 130). Only on a terminal (stderr), never
// with --json, and only once the wait passes SHOW_AFTER_MS, so a quick answer does not flicker: clack's
// spinner draws at once, so it is started only then. Its line is erased when the work ends; the command then
// prints its result. Ctrl-C ends the command as a cancel: "Cancelled.", exit 130, no "Error:".
import type { Writable } from 'node:stream';
import { CANCELLED, CANCELLED_EXIT, spinner } from './prompts';

const SHOW_AFTER_MS = 300;

export interface ProgressTarget {
  stream: Writable & { isTTY?: boolean; columns?: number };
  /** False with --json or when stderr is not a terminal: then nothing is drawn. */
  enabled: boolean;
}

/** Runs `work`, showing `message` with a spinner while it lasts longer than about 300 ms. */
export async function withProgress<T>(
  target: ProgressTarget,
  message: string,
  work: () => Promise<T>,
): Promise<T> {
  if (!target.enabled || target.stream.isTTY !== true) return work();
  const spin = spinner({ output: target.stream, withGuide: false });
  let spinning = false;
  // Until the spinner shows, Ctrl-C is a plain SIGINT; then the spinner's own handling takes over.
  const onInterrupt = () => {
    target.stream.write(`${CANCELLED}\n`);
    process.exit(CANCELLED_EXIT);
  };
  const starter = setTimeout(() => {
    process.off('SIGINT', onInterrupt);
    spinning = true;
    spin.start(message);
  }, SHOW_AFTER_MS);
  process.on('SIGINT', onInterrupt);
  try {
    return await work();
  } finally {
    clearTimeout(starter);
    process.off('SIGINT', onInterrupt);
    if (spinning) spin.clear();
  }
}
