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

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

export function bodyBytes(data: TaskData): number {
  return Buffer.byteLength(JSON.stringify(data), 'utf8');
}

function mapSteps(steps: Step[], f: (step: Step) => Step): Step[] {
  return steps.map((step) => {
    const mapped = f(step);
    return mapped.steps ? { ...mapped, steps: mapSteps(mapped.steps, f) } : mapped;
  });
}

function shrinkTexts(data: TaskData, inputMax: number, outputMax: number): TaskData {
  return {
    ...data,
    input_summary:
      data.input_summary === undefined ? undefined : truncateMiddle(data.input_summary, outputMax * 2),
    output_summary:
      data.output_summary === undefined ? undefined : truncateMiddle(data.output_summary, outputMax * 2),
    steps: data.steps
      ? mapSteps(data.steps, (step) => ({
          ...step,
          input: step.input === undefined ? undefined : truncateMiddle(step.input, inputMax),
          output: step.output === undefined ? undefined : truncateMiddle(step.output, outputMax),
        }))
      : undefined,
  };
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
  if (bodyBytes(data) <= maxBytes) return data;
  for (const [inputMax, outputMax] of [
    [2_000, 4_000],
    [500, 1_000],
    [200, 200],
    [0, 0],
  ] as const) {
    const smaller = shrinkTexts(data, inputMax, outputMax);
    if (bodyBytes(smaller) <= maxBytes) return smaller;
  }
  let shrunk = shrinkTexts(data, 0, 0);
  for (let keep = Math.min(2_000, shrunk.steps?.length ?? 0); keep >= 2; keep = Math.floor(keep / 2)) {
    const folded = foldSteps(shrunk, keep);
    if (bodyBytes(folded) <= maxBytes) return folded;
    shrunk = folded;
  }
  return { ...shrunk, steps: [], errors: (shrunk.errors ?? []).slice(0, 100) };
}
