// What a Codex release changes that we rely on: the first thing to run when a new Codex ships.
// Installs the version into .e2e-cache, extracts the hook JSON Schemas it embeds, records a scripted turn
// with a recording hook on every event (scripts/e2e-capture-fixtures.ts, into a temp dir), and prints how
// the schemas, the hook payloads' fields and the rollout's line types and fields differ from our newest
// fixtures (test/fixtures/codex-<version>/, or --against <version>). `--save` also writes the schemas and
// the recorded scenarios it does not have yet into test/fixtures/codex-<version>/.
// Usage: npm run codex:drift -- <version> [--against <version>] [--save] [scenario ...]
// Exit: 0 when nothing differs, 1 when something does, 2 on bad input or a failed install/capture.
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { compareVersions, parseVersion, type Version } from '../src/codex/version';
import { codexDir, ensureCodex } from './e2e-install-codex.mjs';

const REPO_ROOT = join(import.meta.dirname, '..');
const FIXTURES = join(REPO_ROOT, 'test', 'fixtures');
/** The scripted turns recorded by default: deterministic ones (an interrupt's lines depend on its timing). */
const DEFAULT_SCENARIOS = ['ten-commands', 'failing-command', 'apply-patch'];

type Json = Record<string, unknown>;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

/** The native binary inside an npm install of @openai/codex (the launcher in .bin is a Node script). */
function nativeBinary(dir: string): string {
  const found: string[] = [];
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name === 'codex' && path.includes(`${join('vendor')}`)) found.push(path);
    }
  };
  walk(join(dir, 'node_modules', '@openai'));
  if (found.length === 0) fail(`No native codex binary under ${dir}/node_modules/@openai.`);
  return found[0] as string;
}

/**
 * The hook JSON Schemas the binary embeds, by title (e.g. `stop.command.input`): Codex compiles each as a
 * pretty-printed JSON text starting `{\n  "$schema"`, which is read up to its matching brace.
 */
function embeddedSchemas(binary: Buffer): Map<string, { schema: Json; text: string }> {
  const schemas = new Map<string, { schema: Json; text: string }>();
  const marker = Buffer.from('{\n  "$schema"');
  for (let at = binary.indexOf(marker); at !== -1; at = binary.indexOf(marker, at + 1)) {
    let depth = 0;
    let inString = false;
    let end = -1;
    for (let i = at; i < binary.length && i < at + 1_000_000; i += 1) {
      const byte = binary[i];
      if (inString) {
        if (byte === 0x5c) i += 1;
        else if (byte === 0x22) inString = false;
      } else if (byte === 0x22) inString = true;
      else if (byte === 0x7b) depth += 1;
      else if (byte === 0x7d && --depth === 0) {
        end = i + 1;
        break;
      }
    }
    if (end === -1) continue;
    try {
      const text = binary.subarray(at, end).toString('utf8');
      const schema = JSON.parse(text) as Json;
      if (typeof schema.title === 'string' && schema.title.includes('.command.'))
        schemas.set(schema.title, { schema, text });
    } catch {
      // Not a schema after all (a fragment of something else): skip it.
    }
  }
  return schemas;
}

function fixtureVersions(): string[] {
  return readdirSync(FIXTURES)
    .filter((name) => /^codex-\d+\.\d+\.\d+$/.test(name))
    .map((name) => name.slice('codex-'.length))
    .sort((a, b) => compareVersions(parseVersion(a) as Version, parseVersion(b) as Version));
}

function readJsonl(path: string): Json[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Json);
}

/** A rollout line's kind: `type`, and the payload's `type` when it has one (e.g. `event_msg:token_count`). */
function lineType(line: Json): string {
  const payload = line.payload as Json | undefined;
  return typeof payload?.type === 'string' ? `${line.type}:${payload.type}` : String(line.type);
}

/** Every key path of a value (objects only, arrays looked into), e.g. `payload.info.total_token_usage`. */
function keyPaths(value: unknown, prefix = '', into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) keyPaths(item, `${prefix}[]`, into);
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      const path = prefix === '' ? key : `${prefix}.${key}`;
      into.add(path);
      keyPaths(child, path, into);
    }
  }
  return into;
}

/** Per kind: how many lines, and every field path seen in them. */
function shapes(
  lines: Json[],
  kindOf: (line: Json) => string,
): Map<string, { count: number; fields: Set<string> }> {
  const byKind = new Map<string, { count: number; fields: Set<string> }>();
  for (const line of lines) {
    const kind = kindOf(line);
    const entry = byKind.get(kind) ?? { count: 0, fields: new Set<string>() };
    entry.count += 1;
    keyPaths(line, '', entry.fields);
    byKind.set(kind, entry);
  }
  return byKind;
}

function compareShapes(
  what: string,
  ours: Map<string, { count: number; fields: Set<string> }>,
  theirs: Map<string, { count: number; fields: Set<string> }>,
  out: string[],
): void {
  for (const kind of new Set([...ours.keys(), ...theirs.keys()])) {
    const a = ours.get(kind);
    const b = theirs.get(kind);
    if (!a) out.push(`  ${what}: new ${kind} (${b?.count} line(s))`);
    else if (!b) out.push(`  ${what}: no ${kind} any more (fixture had ${a.count})`);
    else {
      if (a.count !== b.count) out.push(`  ${what}: ${kind} ${a.count} -> ${b.count} line(s)`);
      const added = [...b.fields].filter((field) => !a.fields.has(field)).sort();
      const gone = [...a.fields].filter((field) => !b.fields.has(field)).sort();
      if (added.length > 0) out.push(`  ${what}: ${kind} new field(s) ${added.join(', ')}`);
      if (gone.length > 0) out.push(`  ${what}: ${kind} lost field(s) ${gone.join(', ')}`);
    }
  }
}

function main(): void {
  const args = process.argv.slice(2);
  const option = (name: string): string | undefined => {
    const at = args.indexOf(name);
    if (at === -1) return undefined;
    const value = args[at + 1];
    if (!value || value.startsWith('--')) fail(`${name} needs a value.`);
    args.splice(at, 2);
    return value;
  };
  const against = option('--against');
  const save = args.includes('--save');
  const positional = args.filter((arg) => arg !== '--save');
  const version = positional.shift();
  if (!version || !parseVersion(version))
    fail('Give the Codex version to check: npm run codex:drift -- 0.171.0');
  const scenarios = positional.length > 0 ? positional : DEFAULT_SCENARIOS;
  const baseline = against ?? fixtureVersions().at(-1);
  if (!baseline || !existsSync(join(FIXTURES, `codex-${baseline}`))) {
    fail(`No fixtures test/fixtures/codex-${baseline ?? '<version>'}/ to compare with.`);
  }
  const baseDir = join(FIXTURES, `codex-${baseline}`);

  const installed = ensureCodex(version);
  if (!installed.ok) fail(installed.reason);
  const lines: string[] = [
    `Codex ${version} against our fixtures of Codex ${baseline} (test/fixtures/codex-${baseline}/)`,
  ];
  let differs = false;

  // Hook schemas.
  const schemas = embeddedSchemas(readFileSync(nativeBinary(codexDir(version))));
  const baseSchemasDir = join(baseDir, 'schemas');
  const baseSchemas = new Map<string, Json>();
  if (existsSync(baseSchemasDir)) {
    for (const name of readdirSync(baseSchemasDir).filter((n) => n.endsWith('.schema.json'))) {
      baseSchemas.set(
        name.replace(/\.schema\.json$/, ''),
        JSON.parse(readFileSync(join(baseSchemasDir, name), 'utf8')) as Json,
      );
    }
  }
  const schemaLines: string[] = [];
  for (const title of [...new Set([...schemas.keys(), ...baseSchemas.keys()])].sort()) {
    const ours = baseSchemas.get(title);
    const theirs = schemas.get(title)?.schema;
    if (!ours) schemaLines.push(`  schema: new ${title}`);
    else if (!theirs) schemaLines.push(`  schema: no ${title} any more`);
    else if (!isDeepStrictEqual(ours, theirs)) {
      const a = keyPaths(ours);
      const b = keyPaths(theirs);
      const added = [...b].filter((p) => !a.has(p));
      const gone = [...a].filter((p) => !b.has(p));
      schemaLines.push(
        `  schema: ${title} changed${added.length ? `; new ${added.join(', ')}` : ''}${gone.length ? `; lost ${gone.join(', ')}` : ''}`,
      );
    }
  }
  lines.push(
    `Hook schemas: ${schemas.size} embedded, ${baseSchemas.size} in the fixtures${baseSchemas.size === 0 ? ' (none to compare)' : ''}; ${schemaLines.length === 0 ? 'no difference' : `${schemaLines.length} difference(s)`}`,
    ...schemaLines,
  );
  differs ||= schemaLines.length > 0;

  // Scripted turns.
  const out = mkdtempSync(join(tmpdir(), 'codex-drift-'));
  try {
    const capture = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(REPO_ROOT, 'scripts', 'e2e-capture-fixtures.ts'), '--out', out, ...scenarios],
      { encoding: 'utf8', env: { ...process.env, E2E_CODEX_VERSION: version }, timeout: 10 * 60_000 },
    );
    if (capture.status !== 0)
      fail(`Recording the scripted turns failed:\n${capture.stderr}${capture.stdout}`);
    for (const scenario of scenarios) {
      const now = join(out, 'scenarios', scenario);
      const before = join(baseDir, 'scenarios', scenario);
      const diff: string[] = [];
      if (!existsSync(join(before, 'rollout.jsonl'))) {
        lines.push(
          `Scenario ${scenario}: no fixture in test/fixtures/codex-${baseline}/scenarios/ to compare with`,
        );
        continue;
      }
      compareShapes(
        'rollout',
        shapes(readJsonl(join(before, 'rollout.jsonl')), lineType),
        shapes(readJsonl(join(now, 'rollout.jsonl')), lineType),
        diff,
      );
      const event = (line: Json) => String(line.hook_event_name);
      compareShapes(
        'hooks',
        shapes(readJsonl(join(before, 'hooks.jsonl')), event),
        shapes(readJsonl(join(now, 'hooks.jsonl')), event),
        diff,
      );
      const execType = (line: Json) => {
        const item = line.item as Json | undefined;
        return typeof item?.type === 'string' ? `${line.type}:${item.type}` : String(line.type);
      };
      compareShapes(
        'exec --json',
        shapes(readJsonl(join(before, 'exec-stdout.jsonl')), execType),
        shapes(readJsonl(join(now, 'exec-stdout.jsonl')), execType),
        diff,
      );
      lines.push(
        `Scenario ${scenario}: ${diff.length === 0 ? 'same line types, counts and fields' : `${diff.length} difference(s)`}`,
        ...diff,
      );
      differs ||= diff.length > 0;
    }
    if (save) {
      const target = join(FIXTURES, `codex-${version}`);
      mkdirSync(join(target, 'schemas'), { recursive: true });
      // As the binary holds them, byte for byte.
      for (const [title, { text }] of schemas) {
        writeFileSync(join(target, 'schemas', `${title}.schema.json`), text);
      }
      // A recorded fixture is never replaced: tests may pin its exact content.
      const fresh = scenarios.filter((name) => !existsSync(join(target, 'scenarios', name)));
      for (const name of fresh) {
        cpSync(join(out, 'scenarios', name), join(target, 'scenarios', name), { recursive: true });
      }
      lines.push(
        `Saved ${schemas.size} schemas${fresh.length > 0 ? ` and the scenarios ${fresh.join(', ')}` : ''} into test/fixtures/codex-${version}/`,
      );
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  process.exit(differs ? 1 : 0);
}

main();
