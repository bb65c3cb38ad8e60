// A spinner for waits a user would otherwise watch in silence (a check with Infinium, a retry, doctor's API
// check). Only on a terminal (stderr), never with --json, and only once the wait passes SHOW_AFTER_MS, so a
// quick answer does not flicker. Its line is erased when the work ends; the command then prints its result.
// Ctrl-C while it spins ends the command as a cancel: exit 130, no "Error:".
// Not @clack/prompts' spinner (1.x): it draws at once (no show-after delay), and while it spins its block()
// puts a terminal stdin in raw mode and answers Ctrl-C with process.exit(0), so a cancel would exit 0.
import type { Writable } from 'node:stream';
import { inertLine } from './terminal-text';

const SHOW_AFTER_MS = 300;
const FRAME_MS = 80;
const FRAMES = ['◒', '◐', '◓', '◑'];

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
  const { stream } = target;
  const width = Math.max(10, (stream.columns ?? 80) - 1);
  let frame = 0;
  let shown = false;
  let ticker: NodeJS.Timeout | undefined;
  const draw = () => {
    const text = `${FRAMES[frame % FRAMES.length]}  ${inertLine(message)}...`;
    stream.write(`\r\u001b[2K${text.slice(0, width)}`);
    frame += 1;
  };
  const erase = () => {
    if (shown) stream.write('\r\u001b[2K');
  };
  const onInterrupt = () => {
    erase();
    stream.write('\u001b[?25hCancelled.\n');
    process.exit(130);
  };
  const starter = setTimeout(() => {
    shown = true;
    stream.write('\u001b[?25l');
    draw();
    ticker = setInterval(draw, FRAME_MS);
  }, SHOW_AFTER_MS);
  process.on('SIGINT', onInterrupt);
  try {
    return await work();
  } finally {
    clearTimeout(starter);
    if (ticker) clearInterval(ticker);
    erase();
    if (shown) stream.write('\u001b[?25h');
    process.off('SIGINT', onInterrupt);
  }
}
