// Size limits: each text field is cut to a budget keeping its head and tail (where commands print what
// matters: what ran, and how it ended) with a marker saying how much was cut; the whole body is then
// brought under Infinium's 1 MB by shrinking step texts, and as a last resort by folding the middle steps
// into one, never by dropping a required field.
import { LIMITS, type Step, type TaskData } from '../infinium/task-data';

export const FIELD_LIMITS = {
  /** Step inputs (commands, patches, arguments). */
  input: 8_000,
  /** Step outputs. */
  output: 16_000,
  /** input_summary / output_summary. */
  summary: 32_000,
  /** Error messages. */
  error: 2_000,
} as const;

/**
 * `text` cut to at most `max` UTF-16 units, ending in `…` when cut. The cut never falls inside a surrogate
 * pair (an emoji): half of one is a lone surrogate, invalid Unicode that strict JSON parsers reject.
 */
export function truncateEnd(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = Math.max(0, max - 1);
  return `${text.slice(0, isHighSurrogate(text.charCodeAt(end - 1)) ? end - 1 : end)}…`;
}

/** Cuts `text` to at most about `max` characters, keeping head and tail, saying how many were cut. */
export function truncateMiddle(text: string, max: number): string {
  if (text.length <= max) return text;
  const marker = (cut: number) => `\n[... ${cut} characters cut ...]\n`;
  if (max <= 0) return marker(text.length).trim();
  const keep = Math.max(0, max - marker(text.length).length);
  const head = Math.ceil(keep * 0.6);
  const tail = keep - head;
  const cut = text.length - head - tail;
  // Do not split a surrogate pair: a lone half is invalid UTF-8 on the wire.
  const headEnd = isHighSurrogate(text.charCodeAt(head - 1)) ? head - 1 : head;
  const tailStart = isLowSurrogate(text.charCodeAt(text.length - tail))
    ? text.length - tail + 1
    : text.length - tail;
  return `${text.slice(0, headEnd)}${marker(cut + (head - headEnd) + (tailStart - (text.length - tail)))}${text.slice(tailStart)}`;
}

/**
 * Like truncateMiddle, for a text of which only a head and a tail are at hand, `missing` characters
 * between them already gone: keeps at most about `max` characters of the two, saying how many were cut.
 */
export function joinCut(head: string, tail: string, missing: number, max: number): string {
  const total = head.length + missing + tail.length;
  const marker = (cut: number) => `\n[... ${cut} characters cut ...]\n`;
  const keep = Math.max(0, max - marker(total).length);
  let headKeep = Math.min(head.length, Math.ceil(keep * 0.6));
  const tailKeep = Math.min(tail.length, keep - headKeep);
  headKeep = Math.min(head.length, keep - tailKeep);
  const headEnd = isHighSurrogate(head.charCodeAt(headKeep - 1)) ? headKeep - 1 : headKeep;
  let tailStart = tail.length - tailKeep;
  if (isLowSurrogate(tail.charCodeAt(tailStart))) tailStart += 1;
  return `${head.slice(0, headEnd)}${marker(total - headEnd - (tail.length - tailStart))}${tail.slice(tailStart)}`;
}

/** Longest cut-off word dropped at a cut edge; a longer run without whitespace loses this much. */
const EDGE_WORD = 1_024;

const isSpace = (char: string | undefined) => char !== undefined && /\s/.test(char);

/** `text` (the head of a longer text) without the word the cut went through. */
export function withoutCutEnd(text: string): string {
  let end = text.length;
  while (end > 0 && text.length - end < EDGE_WORD && !isSpace(text[end - 1])) end -= 1;
  return text.slice(0, end);
}

/** `text` (the tail of a longer text) without the word the cut went through. */
export function withoutCutStart(text: string): string {
  let start = 0;
  while (start < text.length && start < EDGE_WORD && !isSpace(text[start])) start += 1;
  return text.slice(start);
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/** Below this a cut text says little more than its marker. */
const MIN_TEXT = 120;

export function bodyBytes(data: TaskData): number {
  return Buffer.byteLength(JSON.stringify(data), 'utf8');
}

function mapSteps(steps: Step[], f: (step: Step) => Step): Step[] {
  return steps.map((step) => {
    const mapped = f(step);
    return mapped.steps ? { ...mapped, steps: mapSteps(mapped.steps, f) } : mapped;
  });
}

function shrinkTexts(data: TaskData, max: number): TaskData {
  const cut = (text: string | undefined) => (text === undefined ? undefined : truncateMiddle(text, max));
  return {
    ...data,
    input_summary: cut(data.input_summary),
    output_summary: cut(data.output_summary),
    steps: data.steps
      ? mapSteps(data.steps, (step) => ({ ...step, input: cut(step.input), output: cut(step.output) }))
      : undefined,
  };
}

/** Lengths of the texts `shrinkTexts` cuts. */
function textLengths(data: TaskData): number[] {
  const lengths: number[] = [];
  const add = (text: string | undefined) => {
    if (text !== undefined) lengths.push(text.length);
  };
  add(data.input_summary);
  add(data.output_summary);
  const visit = (steps: readonly Step[]) => {
    for (const step of steps) {
      add(step.input);
      add(step.output);
      if (step.steps) visit(step.steps);
    }
  };
  visit(data.steps ?? []);
  return lengths;
}

/** The largest per-text cap c with sum(min(length, c)) <= budget: long texts are cut, short ones kept. */
function capFor(lengths: readonly number[], budget: number): number {
  const sorted = [...lengths].sort((a, b) => a - b);
  let remaining = budget;
  for (let i = 0; i < sorted.length; i += 1) {
    const cap = remaining / (sorted.length - i);
    const length = sorted[i] as number;
    if (length > cap) return Math.floor(cap);
    remaining -= length;
  }
  return Number.POSITIVE_INFINITY;
}

/** Keeps the first and last steps and folds the middle ones into one step saying how many were folded. */
function foldSteps(data: TaskData, keep: number): TaskData {
  const steps = data.steps ?? [];
  if (steps.length <= keep) return data;
  const head = steps.slice(0, Math.ceil(keep / 2));
  const tail = steps.slice(steps.length - Math.floor(keep / 2));
  const folded = steps.length - head.length - tail.length;
  const marker: Step = {
    step_number: (head.at(-1)?.step_number ?? 0) + 1,
    action: 'tool_call',
    description: `${folded} steps left out to keep the trace under ${LIMITS.bodyMaxBytes} bytes`,
    status: 'success',
  };
  return { ...data, steps: [...head, marker, ...tail] };
}

/** Returns `data` unchanged when it fits, else a smaller copy that does. */
export function fitBody(data: TaskData, maxBytes: number = LIMITS.bodyMaxBytes): TaskData {
  // Measured without its long texts first (cheap), the body's size is bounded: each text character takes
  // 1 to 6 bytes in JSON. Only when the bounds straddle the limit is the whole body serialised.
  const lengths = textLengths(data);
  const textChars = lengths.reduce((sum, length) => sum + length, 0);
  const skeleton = shrinkTexts(data, 0);
  const skeletonBytes = bodyBytes(skeleton);
  const markerChars = textLengths(skeleton).reduce((sum, length) => sum + length, 0);
  const overhead = skeletonBytes - markerChars;
  if (overhead + textChars * 6 <= maxBytes) return data;
  if (overhead + textChars <= maxBytes && bodyBytes(data) <= maxBytes) return data;
  // Give the texts what the rest of the body leaves, shared fairly: one cap for all, found from their
  // lengths. Characters can take more bytes than one (escapes, non-ASCII), so check and tighten.
  let budget = maxBytes * 0.97 - overhead;
  const floor = lengths.length * MIN_TEXT;
  for (let attempt = 0; attempt < 4 && budget > floor; attempt += 1) {
    const smaller = shrinkTexts(data, Math.max(MIN_TEXT, capFor(lengths, budget)));
    const size = bodyBytes(smaller);
    if (size <= maxBytes) return smaller;
    budget *= (maxBytes / size) * 0.95;
  }
  // Too many steps for any text to fit: keep only the markers and fold the middle steps.
  let shrunk = skeleton;
  for (let keep = Math.min(2_000, shrunk.steps?.length ?? 0); keep >= 2; keep = Math.floor(keep / 2)) {
    const folded = foldSteps(shrunk, keep);
    if (bodyBytes(folded) <= maxBytes) return folded;
    shrunk = folded;
  }
  return { ...shrunk, steps: [], errors: (shrunk.errors ?? []).slice(0, 100) };
}
