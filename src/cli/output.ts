// The only place that writes for humans (and --json for machines). Colours on a TTY or with FORCE_COLOR,
// never with NO_COLOR; the agent secret must never reach here, so nothing here ever receives it.
//
// Everything written passes through terminal-text.ts's `inert`: text from outside (evaluations, error
// bodies, rollouts, file names) is interpolated freely by the commands, and this is the one place that makes
// it harmless, so no command can forget. Our own colours must survive that, and outside text must not be able
// to pass for them: a paint marks its span with a per-process random marker that `inert` leaves alone and that
// no outside text can know; only markers become colour codes, after everything else is made inert.
import { randomBytes } from 'node:crypto';
import type { Writable } from 'node:stream';
import type { Env } from '../config/paths';
import { inert } from './terminal-text';

export type Paint = (text: string) => string;

export interface Output {
  line(text?: string): void;
  error(text: string): void;
  /** Text as it is, without a line feed added (commander's help and errors). */
  write(text: string): void;
  writeError(text: string): void;
  json(value: unknown): void;
  green: Paint;
  red: Paint;
  yellow: Paint;
  dim: Paint;
  bold: Paint;
}

const MARKER = `paint${randomBytes(12).toString('hex')}`;
const MARKED = new RegExp(`${MARKER}(\\d+)m`, 'g');

/** A paint that lasts from `open` to `close` (SGR codes), written as markers until the line is rendered. */
function marks(open: number, close: number): Paint {
  return (text) => `${MARKER}${open}m${text}${MARKER}${close}m`;
}

/** Whether our colours are drawn: on a terminal (or FORCE_COLOR), never with NO_COLOR or TERM=dumb. */
export function coloursWanted(stream: { isTTY?: boolean }, env: Env): boolean {
  const forced = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return env.NO_COLOR === undefined && (forced || (stream.isTTY === true && env.TERM !== 'dumb'));
}

/** `text` made inert for a terminal, with our paints drawn as colours (or dropped when `colour` is off). */
export function render(text: string, colour: boolean): string {
  return inert(text).replace(MARKED, (_marker, code: string) => (colour ? `\u001b[${code}m` : ''));
}

export function createOutput(stdout: Writable & { isTTY?: boolean }, stderr: Writable, env: Env): Output {
  const colour = coloursWanted(stdout, env);
  // Without colours a paint changes nothing, so widths measured on painted text stay true.
  const paint = (open: number, close: number): Paint => (colour ? marks(open, close) : (text) => text);
  return {
    line: (text = '') => stdout.write(render(`${text}\n`, colour)),
    error: (text) => stderr.write(render(`${text}\n`, colour)),
    write: (text) => stdout.write(render(text, colour)),
    writeError: (text) => stderr.write(render(text, colour)),
    // JSON.stringify escapes C0 but leaves DEL, C1 and format characters raw inside strings: `inert` writes
    // those as \u escapes, the same value to any JSON reader.
    json: (value) => stdout.write(`${inert(JSON.stringify(value, null, 2))}\n`),
    green: paint(32, 39),
    red: paint(31, 39),
    yellow: paint(33, 39),
    dim: paint(2, 22),
    bold: paint(1, 22),
  };
}

/** `1 trace`, `2 traces`: a count with its noun (`plural` when adding an s is wrong). */
export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}
