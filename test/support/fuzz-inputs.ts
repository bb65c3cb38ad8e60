// Seeded generators of hook stdin inputs for the fuzz suite: hostile bytes of every kind, mixed with
// Codex-like sessions (some with one field given a wrong type) whose turns must survive the hostile rest.
// The same seed gives the same inputs, byte for byte, so a failure can be replayed.
import { HOOK_EVENTS } from '../../src/codex/hook-payload';

/** mulberry32: small, fast and good enough to spread inputs; reproducible from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface FuzzInput {
  id: number;
  category: string;
  /** The hook's argv event name, as registered in hooks.json (may be hostile too). */
  event: string;
  /** What is written to stdin. */
  bytes: Buffer;
  /** Written, then stdin is left open: the hook must give up on its own. */
  keepStdinOpen?: boolean;
  /** Inputs with the same chain are one Codex session: run one after the other, in order. */
  chain?: string;
  /**
   * What the worker must make of it once spooled: part of a turn ('event'), or set aside and counted
   * ('corrupt'). Decided by the payload contract (src/codex/hook-payload.ts), independently of the code.
   */
  verdict: 'event' | 'corrupt';
}

/** The name the front-ends file an input under: the argv event when it is letters only (64 at most). */
export function spooledEventName(event: string): string {
  return /^[A-Za-z]{1,64}$/.test(event) ? event : 'Unknown';
}

/** Whether the hook must spool the input: every byte it was given, once stdin was closed. */
export function mustBeSpooled(input: FuzzInput): boolean {
  return input.bytes.length > 0 && !input.keepStdinOpen;
}

const HOSTILE_EVENT_ARGS = [
  '',
  'Unknown',
  'FutureEvent',
  '../../etc/passwd',
  'Stop;rm -rf /',
  '$(id)',
  'Pre Tool Use',
  'stop\n',
  'Ünïcödé',
  '-',
  '*',
  'a'.repeat(300),
];

/** Fields the worker relies on, and which types it accepts (src/codex/hook-payload.ts is the contract). */
const REQUIRED_STRINGS = ['hook_event_name', 'session_id', 'cwd'];
const OPTIONAL_STRINGS = [
  'model',
  'permission_mode',
  'turn_id',
  'agent_id',
  'agent_type',
  'source',
  'prompt',
  'tool_name',
  'tool_use_id',
  'trigger',
  'reason',
  'last_assistant_message',
  'transcript_path',
];
const WRONG_VALUES: unknown[] = [
  42,
  -1.5e308,
  true,
  false,
  [],
  ['x'],
  {},
  { nested: { deeper: 1 } },
  null,
  '',
];

/** Whether a payload with `field` set to `value` is still an event the worker places in a turn. */
function acceptsValue(field: string, value: unknown): boolean {
  if (REQUIRED_STRINGS.includes(field)) {
    if (typeof value !== 'string') return false;
    return field === 'cwd' || value !== '';
  }
  if (OPTIONAL_STRINGS.includes(field)) return value === null || typeof value === 'string';
  // tool_input, tool_response, stop_hook_active and unknown fields are kept as they come.
  return true;
}

const DEEP = '<deeply nested arrays>';

const INVALID_UTF8 = [
  Buffer.from([0xff]),
  Buffer.from([0xfe, 0xff]),
  Buffer.from([0xc3, 0x28]),
  Buffer.from([0xe2, 0x82]),
  Buffer.from([0xf0, 0x28, 0x8c, 0xbc]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xc0, 0xaf]),
];

export interface FuzzPlan {
  inputs: FuzzInput[];
  /** Sessions that must each reach the server as exactly one trace (session ids). */
  sessions: string[];
}

export interface FuzzOptions {
  seed: number;
  /** Total number of inputs (at least; sessions are kept whole). */
  count: number;
  /** The cwd of the generated sessions (a project configured for an agent). */
  project: string;
  /** Size of the one giant input; 50 MB by default. */
  giantBytes?: number;
}

/**
 * The inputs, in a deterministic order. Sessions (about a tenth of the inputs) are Codex-like turns:
 * UserPromptSubmit, PreToolUse, PostToolUse, Stop, sometimes SessionStart/SessionEnd or an unknown event
 * inside the turn, with hostile but valid content, and in some of them one field of one event of a wrong
 * type. Everything else is hostile on its own.
 */
export function generateFuzzInputs(options: FuzzOptions): FuzzPlan {
  const random = prng(options.seed);
  const int = (max: number) => Math.floor(random() * max);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  const inputs: FuzzInput[] = [];
  const sessions: string[] = [];
  const add = (input: Omit<FuzzInput, 'id'>) => inputs.push({ id: inputs.length, ...input });

  const hostileString = (): string => {
    switch (int(6)) {
      case 0:
        return randomText(random, int(200));
      case 1:
        return `"\\\u0000\u001f\u2028\u2029</script>$\{x}\`$(id)\`'`;
      case 2:
        return '\u{1F600}'.repeat(int(50)) + '\uD800';
      case 3:
        return 'x'.repeat(int(100_000));
      case 4:
        return '\r\n'.repeat(int(100));
      default:
        return `printf '%s' "${randomText(random, 40)}" | sed -e 's/a/b/g'`;
    }
  };

  const sessionCount = Math.max(1, Math.round(options.count / 10 / 5));
  for (let s = 0; s < sessionCount; s += 1) {
    const sessionId = `fuzz-${options.seed}-${s}`;
    const turnId = `turn-${s}`;
    const base = {
      session_id: sessionId,
      transcript_path: s % 3 === 0 ? null : `/nonexistent/rollout-${s}.jsonl`,
      cwd: options.project,
      model: 'gpt-5.5',
      permission_mode: 'bypassPermissions',
    };
    const command = hostileString();
    const events: Record<string, unknown>[] = [
      { ...base, hook_event_name: 'UserPromptSubmit', turn_id: turnId, prompt: hostileString() },
      {
        ...base,
        hook_event_name: 'PreToolUse',
        turn_id: turnId,
        tool_name: 'Bash',
        tool_input: { command },
        tool_use_id: `call-${s}`,
      },
      {
        ...base,
        hook_event_name: 'PostToolUse',
        turn_id: turnId,
        tool_name: 'Bash',
        tool_input: { command },
        tool_use_id: `call-${s}`,
        tool_response: hostileString(),
      },
      {
        ...base,
        hook_event_name: 'Stop',
        turn_id: turnId,
        stop_hook_active: false,
        last_assistant_message: hostileString(),
      },
    ];
    if (s % 7 === 1)
      events.splice(2, 0, { ...base, hook_event_name: 'FutureEvent', turn_id: turnId, x: [1] });
    if (s % 5 === 2) events.unshift({ ...base, hook_event_name: 'SessionStart', source: 'startup' });
    if (s % 5 === 3) events.push({ ...base, hook_event_name: 'SessionEnd', reason: 'exit' });
    if (s % 11 === 4) {
      // A deeply nested (but valid) tool input: Codex passes MCP arguments through as they come.
      events[1] = { ...events[1], tool_input: DEEP };
    }
    const names = events.map((event) => event.hook_event_name as string);
    const verdicts = events.map((): FuzzInput['verdict'] => 'event');
    const categories = events.map(() => 'session');
    if (s % 2 === 0) {
      // One field of one event with a wrong type: every field of the payload gets its turn across sessions.
      const target = int(events.length);
      const event = events[target] as Record<string, unknown>;
      const fields = Object.keys(event);
      const field = fields[(s / 2) % fields.length] as string;
      // An empty cwd is a string, so the event stays, but it names no project: the turn would not be traced.
      const value = pick(field === 'cwd' ? WRONG_VALUES.filter((v) => v !== '') : WRONG_VALUES);
      event[field] = value;
      categories[target] = `session: wrong type for ${field}`;
      if (!acceptsValue(field, value)) verdicts[target] = 'corrupt';
    }
    // Built as text: JSON.stringify itself gives up long before JSON.parse does.
    const depth = 5_000 + int(20_000);
    const payloads = events.map((event) =>
      Buffer.from(JSON.stringify(event).replace(`"${DEEP}"`, `${'['.repeat(depth)}${']'.repeat(depth)}`)),
    );
    if (s % 6 === 5) {
      // Invalid UTF-8 inside a string value: JSON readers decode it to U+FFFD, so the event still counts.
      const i = int(payloads.length);
      const text = (payloads[i] as Buffer).toString();
      const at = text.indexOf('"cwd"') - 1;
      payloads[i] = Buffer.concat([
        Buffer.from(`${text.slice(0, at)},"junk":"`),
        pick(INVALID_UTF8),
        Buffer.from(`"${text.slice(at)}`),
      ]);
      categories[i] = 'session: invalid UTF-8';
    }
    payloads.forEach((bytes, i) => {
      add({
        category: categories[i] as string,
        event: names[i] as string,
        bytes,
        chain: sessionId,
        verdict: verdicts[i] as FuzzInput['verdict'],
      });
    });
    sessions.push(sessionId);
  }

  const template = (): Record<string, unknown> => ({
    session_id: `loose-${int(1e9)}`,
    transcript_path: null,
    cwd: options.project,
    hook_event_name: pick(HOOK_EVENTS),
    turn_id: `t-${int(1e6)}`,
    prompt: hostileString(),
  });

  add({
    category: 'giant (stdin of tens of MB)',
    event: 'PostToolUse',
    bytes: Buffer.alloc(options.giantBytes ?? 50 * 1024 * 1024, 'a'),
    verdict: 'corrupt',
  });
  add({
    category: 'stdin never closed',
    event: 'Stop',
    bytes: Buffer.from('{"session_id":"never-closed","hook_event_name":"Stop",'),
    keepStdinOpen: true,
    verdict: 'corrupt',
  });

  while (inputs.length < options.count) {
    const roll = random();
    const event = random() < 0.1 ? pick(HOSTILE_EVENT_ARGS) : pick(HOOK_EVENTS);
    if (roll < 0.3) {
      add({ category: 'random bytes', event, bytes: randomBytes(random, int(4_096)), verdict: 'corrupt' });
    } else if (roll < 0.55) {
      const text = JSON.stringify(template());
      add({
        category: 'truncated JSON',
        event,
        bytes: Buffer.from(text.slice(0, 1 + int(text.length - 2))),
        verdict: 'corrupt',
      });
    } else if (roll < 0.58) {
      const depth = 1 + int(100_000);
      const [open, close] = pick([
        ['[', ']'],
        ['{"a":', '}'],
      ] as const);
      add({
        category: 'deep nesting (not an object)',
        event,
        bytes: Buffer.from(`${open.repeat(depth)}1${close.repeat(random() < 0.5 ? depth : int(depth))}`),
        verdict: 'corrupt',
      });
    } else if (roll < 0.583) {
      const payload = { ...template(), session_id: 42, prompt: 'y'.repeat(1_000_000 + int(2_000_000)) };
      add({
        category: 'huge string',
        event,
        bytes: Buffer.from(JSON.stringify(payload)),
        verdict: 'corrupt',
      });
    } else if (roll < 0.83) {
      // Every field with a wrong type, and a session id that makes it unplaceable either way.
      const payload = template();
      for (const field of Object.keys(payload)) {
        if (random() < 0.5) payload[field] = WRONG_VALUES[int(WRONG_VALUES.length)];
      }
      payload.session_id = pick([null, 0, [], {}, '']);
      add({
        category: 'wrong types',
        event,
        bytes: Buffer.from(JSON.stringify(payload)),
        verdict: 'corrupt',
      });
    } else if (roll < 0.9) {
      add({
        category: 'JSON that is not an object',
        event,
        bytes: Buffer.from(pick(['null', 'true', '0', '"Stop"', '[]', '[{}]', '1e999', ' ', '\n'])),
        verdict: 'corrupt',
      });
    } else if (roll < 0.95) {
      const text = JSON.stringify({ ...template(), session_id: '' });
      // Bytes dropped between the quotes of the empty session_id would give it a value (U+FFFD) and make
      // the payload valid: put those before the object instead, so the input stays corrupt.
      const insideId = text.indexOf('"session_id":""') + '"session_id":"'.length;
      const drawn = int(text.length);
      const cut = drawn === insideId ? 0 : drawn;
      add({
        category: 'invalid UTF-8',
        event,
        bytes: Buffer.concat([
          Buffer.from(text.slice(0, cut)),
          pick(INVALID_UTF8),
          Buffer.from(text.slice(cut)),
        ]),
        verdict: 'corrupt',
      });
    } else {
      add({ category: 'empty stdin', event, bytes: Buffer.alloc(0), verdict: 'corrupt' });
    }
  }
  return { inputs, sessions };
}

function randomBytes(random: () => number, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i += 1) bytes[i] = Math.floor(random() * 256);
  return bytes;
}

function randomText(random: () => number, length: number): string {
  let text = '';
  for (let i = 0; i < length; i += 1) {
    const r = random();
    text +=
      r < 0.7
        ? String.fromCharCode(32 + Math.floor(random() * 95))
        : r < 0.9
          ? String.fromCharCode(0xa0 + Math.floor(random() * 0x2000))
          : String.fromCodePoint(0x1f300 + Math.floor(random() * 200));
  }
  return text;
}
