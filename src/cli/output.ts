// The only place that writes for humans (and --json for machines). Colours on a TTY or with FORCE_COLOR,
// never with NO_COLOR; the agent secret must never reach here, so nothing here ever receives it.
import type { Writable } from 'node:stream';
import type { Env } from '../config/paths';

export type Paint = (text: string) => string;

export interface Output {
  line(text?: string): void;
  error(text: string): void;
  json(value: unknown): void;
  green: Paint;
  red: Paint;
  yellow: Paint;
  dim: Paint;
  bold: Paint;
}

export function createOutput(stdout: Writable & { isTTY?: boolean }, stderr: Writable, env: Env): Output {
  const forced = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  const colour = env.NO_COLOR === undefined && (forced || (stdout.isTTY === true && env.TERM !== 'dumb'));
  const paint =
    (open: number, close: number): Paint =>
    (text) =>
      colour ? `\u001b[${open}m${text}\u001b[${close}m` : text;
  return {
    line: (text = '') => stdout.write(`${text}\n`),
    error: (text) => stderr.write(`${text}\n`),
    json: (value) => stdout.write(`${JSON.stringify(value, null, 2)}\n`),
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
