// Redaction cost on a 1 MB field (1,000,000 characters) built to make a backtracking regex engine slow,
// against issue 12's target: worst case < 200 ms. Each input gets a fresh redactor from `makeRedactor`, as
// the trace builder makes one per turn (src/trace/build.ts), so the first, coldest run counts too; the median
// and the worst of RUNS runs are printed. Then the recall on the secrets corpus and the false positives on
// its ordinary output (test/fixtures/secrets), the figures test/reliability/secrets.test.ts also prints.
// Figures only: nothing here fails on a slow run.
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { makeRedactor } from '../src/trace/redact';
import { leakedRows, placementTexts, readCorpus, readOrdinary } from '../test/support/secret-corpus';
import { median } from './support/stats';

const FIELD = 1_000_000;
const RUNS = 7;
const TARGET_MS = 200;

/** `unit` repeated up to exactly FIELD characters, then `tail`. */
const field = (unit: string, tail = '') =>
  unit.repeat(Math.ceil(FIELD / unit.length)).slice(0, FIELD - tail.length) + tail;

/** A fixed stream of `alphabet` characters (a linear congruential generator: the same on every run). */
const scrambled = (alphabet: string) => {
  let seed = 1;
  return Array.from({ length: FIELD }, () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return alphabet[seed % alphabet.length];
  }).join('');
};

// Inputs built to make a backtracking engine slow, then inputs dense with matches (each a secret, or a
// name to judge), one-line and many-line, non-ASCII, and user patterns that match everywhere.
const AGENT_SECRET = 'secret-abcdef-123456';
const inputs: { name: string; text: string; userPatterns?: string[]; agentSecrets?: string[] }[] = [
  { name: 'A_KEY=A_KEY=...(', text: field('A_KEY=', '(') },
  { name: '_KEY=', text: field('_KEY=') },
  { name: 'token=', text: field('token=') },
  { name: 'password: ', text: field('password: ') },
  { name: '//a:b@', text: field('//a:b@') },
  { name: 'x-api-key: ', text: field('x-api-key: ') },
  { name: '-eyJ', text: field('-eyJ') },
  { name: 'aaaaaaaa', text: field('a') },
  { name: 'build log line ok', text: field('build log line ok\n') },
  { name: 'user (a+)+$ on aaaa...!', text: field('a', '!'), userPatterns: ['(a+)+$'] },
  { name: 'x-x-x-...key', text: field('x-', 'key') },
  { name: 'Authorization: Bearer x', text: field('Authorization: Bearer x\n') },
  { name: 'Bearer tokens', text: field('Authorization: Bearer abcdefghijklmnop1234\n') },
  { name: 'JWTs', text: field('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghijkl0123 ') },
  { name: 'mysql -px1', text: field('mysql -px1 ') },
  { name: 'mysql mysql', text: field('mysql ') },
  { name: '--token=abc1', text: field(' --token=abc1') },
  { name: 'curl -u a:bcd', text: field('curl -u a:bcd ') },
  { name: 'URLs with passwords', text: field('https://user:pass@host/ ') },
  { name: 'password lines', text: field('password: hunter2\n') },
  { name: 'INI password words', text: field('password = correct horse battery\n') },
  { name: 'A_TOKEN=abcd', text: field('A_TOKEN=abcd ') },
  { name: 'JSON passwords', text: field('{"password": "x1y2z3"} ') },
  { name: 'AWS key ids', text: field('AKIAIOSFODNN7EXAMPLE ') },
  { name: 'private key, no END', text: `-----BEGIN PRIVATE KEY-----\n${field('QUJDRA==')}`.slice(0, FIELD) },
  { name: 'key END lines', text: field('-----END PRIVATE KEY-----\n') },
  { name: 'netrc entries', text: field('machine h login u password p ') },
  { name: 'non-ASCII', text: field('пароль: секрет 🔑 token=ключ ') },
  { name: 'non-ASCII passwords', text: field('password: пароль🔑\n') },
  { name: 'newlines', text: field('\n') },
  { name: 'log lines naming tokens', text: field('INFO token accepted: q8Zt3VmX1pLk for api key a1b2 ') },
  { name: 'token token token', text: field('token ') },
  { name: 'Authorization=Bearer x', text: field('Authorization=Bearer x ') },
  { name: '<accessToken> elements', text: field('<accessToken>\n  abc123\n</accessToken>\n') },
  { name: '<key><key>...', text: field('<key>') },
  { name: 'ids with :A and |', text: field('1234567:A 1234567890123456| ') },
  { name: 'base64-ish', text: scrambled('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') },
  { name: 'user . on log lines', text: field('build log line ok\n'), userPatterns: ['.'] },
  { name: 'user [\\s\\S] on all', text: field('ab\n'), userPatterns: ['[\\s\\S]'] },
  { name: 'user .+ on one line', text: field('a'), userPatterns: ['.+'] },
  { name: 'agent secret echoed', text: field(`key ${AGENT_SECRET}\n`), agentSecrets: [AGENT_SECRET] },
  {
    name: 'agent secret prefixes',
    text: field(`${AGENT_SECRET.slice(0, 12)} `),
    agentSecrets: [AGENT_SECRET],
  },
];

const ms = (value: number) => `${value.toFixed(1).padStart(7)} ms`;

// Figures are wall-clock times: on a machine shared with other work they grow with its load.
const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
console.log(
  `redaction of a ${FIELD.toLocaleString('en')}-character field, ${RUNS} runs each (target < ${TARGET_MS} ms); ` +
    `load average ${load()}`,
);
let worstOverall = 0;
for (const input of inputs) {
  const redact = makeRedactor(input.userPatterns ?? [], true, input.agentSecrets);
  const times: number[] = [];
  let output = '';
  for (let run = 0; run < RUNS; run += 1) {
    const start = performance.now();
    output = redact(input.text);
    times.push(performance.now() - start);
  }
  const worst = Math.max(...times);
  worstOverall = Math.max(worstOverall, worst);
  // The first run is the coldest; the output's length shows how much the marks grew the text.
  console.log(
    `  ${input.name.padEnd(26)} median ${ms(median(times))}  worst ${ms(worst)}  first ${ms(times[0] as number)}  ` +
      `${worst < TARGET_MS ? 'under' : 'OVER'} target  (output ${output.length.toLocaleString('en')} chars)`,
  );
}
console.log(
  `  worst of all: ${worstOverall.toFixed(1)} ms (${worstOverall < TARGET_MS ? 'under' : 'OVER'} ${TARGET_MS} ms); ` +
    `load average ${load()}`,
);

const corpus = readCorpus();
const redact = makeRedactor([]);
const caught = (text: string, row: (typeof corpus)[number]) => leakedRows([row], redact(text)).length === 0;
const contexts = corpus.filter((row) => caught(row.context, row)).length;
let placed = 0;
let placedTotal = 0;
for (const row of corpus) {
  for (const text of placementTexts(row)) {
    placedTotal += 1;
    if (caught(text, row)) placed += 1;
  }
}
const percent = (n: number, of: number) => `${((100 * n) / of).toFixed(2)}%`;
console.log(
  `recall on the corpus: contexts ${contexts}/${corpus.length} (${percent(contexts, corpus.length)}), ` +
    `placements ${placed}/${placedTotal} (${percent(placed, placedTotal)}) (target >= 99.5%)`,
);
const ordinary = readOrdinary();
const changed = ordinary.filter((line) => redact(line) !== line);
console.log(
  `false positives on ordinary output (ordinary.txt): ${changed.length}/${ordinary.length} ` +
    `(${percent(changed.length, ordinary.length)}) (target < 1%)`,
);
for (const line of changed) console.log(`  false positive: ${line.slice(0, 150)}`);
