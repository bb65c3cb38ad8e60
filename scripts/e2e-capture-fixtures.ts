// Captures real Codex rollouts and hook payload sequences of the Codex under test (the pinned one, or
// E2E_CODEX_VERSION / E2E_CODEX_BIN) into test/fixtures/codex-<version>/scenarios/<name>/ (rollout.jsonl,
// hooks.jsonl, sub-agent rollouts, README.md), or under `--out DIR`, with temp paths rewritten to
// /home/dev/... like the older fixtures. `npm run codex:drift` runs it into a temp dir.
// Run: npx tsx scripts/e2e-capture-fixtures.ts [--out DIR] [scenario ...]
// A recording hook registered for every event appends each stdin payload to a file. This is the only place
// that runs Codex with --dangerously-bypass-hook-trust: it captures Codex's behaviour, not ours.
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { HOOK_EVENTS } from '../src/codex/hook-payload';
import { compareVersions, parseVersion, type Version } from '../src/codex/version';
import {
  codexExec,
  codexInstalled,
  codexVersion,
  codexVersionText,
  makeSandbox,
  REPO_ROOT,
  type Sandbox,
} from '../test/e2e/support/codex';
import { conversation, type ModelScript, startModelServer } from '../test/e2e/support/model-server';
import { type HooksFile, trustEntries, trustToml } from '../test/e2e/support/trust';
import {
  COMPACT_TOKEN_LIMIT,
  compaction,
  failingCommand,
  longCommand,
  MCP_CONFIG,
  MCP_SERVER_NAME,
  MCP_TOOL,
  mcpCall,
  oneCommand,
  patchFiles,
  subagentSpawnAndWait,
  subagentV2SpawnAndWait,
  tenCommands,
} from '../test/e2e/support/turns';

interface Capture {
  name: string;
  prompt: string;
  script: ModelScript;
  how: string;
  rootConfig?: string[];
  tables?: string;
  extraArgs?: string[];
  onSpawn?: (child: ChildProcess, sandbox: Sandbox) => void;
}

const CAPTURES: Capture[] = [
  {
    name: 'failing-command',
    prompt: 'Run a command that fails.',
    script: conversation(failingCommand()),
    how: 'one exec_command that writes to stderr and exits 3, then an answer',
  },
  {
    name: 'apply-patch',
    prompt: 'Create notes/todo.txt and hello.py, then edit hello.py.',
    script: conversation(patchFiles()),
    how: 'apply_patch adding two files, a second apply_patch updating one, then an answer',
  },
  {
    name: 'mcp-call',
    prompt: 'Look up abc with the fixture MCP server.',
    script: conversation(mcpCall()),
    how: `tool_search, then a call of the ${MCP_TOOL} tool (namespace mcp__${MCP_SERVER_NAME}) of a stdio MCP server (test/e2e/support/mcp-server.mjs)`,
    tables: MCP_CONFIG,
  },
  {
    name: 'subagent',
    prompt: 'Spawn a helper that runs echo from-child, and wait for it.',
    script: subagentSpawnAndWait().script,
    how: 'default multi-agent tools (deferred, namespace multi_agent_v1): the root calls tool_search, spawn_agent, then wait_agent on the returned agent id; the sub-agent runs one command and answers',
  },
  {
    name: 'subagent-v2',
    prompt: 'Spawn a helper that runs echo from-child, and wait for it.',
    script: subagentV2SpawnAndWait(),
    how: '[features] multi_agent_v2 = true: the root calls collaboration spawn_agent then wait_agent; the sub-agent runs one command and answers',
    tables: '[features]\nmulti_agent_v2 = true\n',
  },
  {
    name: 'compaction',
    prompt: 'Run two commands in a long conversation.',
    script: compaction().script,
    how: `-c model_auto_compact_token_limit=${COMPACT_TOKEN_LIMIT} with a first model response over it, forcing an automatic compaction mid-turn`,
    extraArgs: ['-c', `model_auto_compact_token_limit=${COMPACT_TOKEN_LIMIT}`],
  },
  {
    name: 'interrupt',
    prompt: 'Run a long command.',
    script: conversation(longCommand()),
    how: 'SIGINT sent to `codex exec` once the recording hook saw PreToolUse of a `sleep 30` command',
    onSpawn: (child, sandbox) => interruptAfterPreToolUse(child, hooksLog(sandbox)),
  },
  {
    name: 'ten-commands',
    prompt: 'Run ten commands.',
    script: conversation(tenCommands()),
    how: 'ten exec_command calls (echo step-N), one per model response, then an answer',
  },
];

const argv = process.argv.slice(2);
const outAt = argv.indexOf('--out');
const OUT_ROOT =
  outAt === -1 ? join(REPO_ROOT, 'test', 'fixtures', `codex-${codexVersionText()}`) : (argv[outAt + 1] ?? '');
const wanted = outAt === -1 ? argv : [...argv.slice(0, outAt), ...argv.slice(outAt + 2)];

const atLeast = (version: string) => compareVersions(codexVersion(), parseVersion(version) as Version) >= 0;

/**
 * How the recording hook gets to run on this Codex (codex-matrix H6): the trust bypass exists from 0.140
 * (0.129-0.139 check trust and cannot be bypassed, so they are refused below); before 0.124 hooks need
 * `[features] codex_hooks = true`.
 */
function hookRunArgs(): { extraArgs: string[]; tables: string } {
  return {
    extraArgs: atLeast('0.140.0') ? ['--dangerously-bypass-hook-trust'] : [],
    tables: atLeast('0.124.0') ? '' : '[features]\ncodex_hooks = true\n',
  };
}

function hooksLog(sandbox: Sandbox): string {
  return join(sandbox.root, 'hooks.jsonl');
}

function installRecordingHook(sandbox: Sandbox): void {
  const script = join(sandbox.root, 'record-hook.sh');
  // One printf per payload: a single append, so concurrent hooks cannot interleave lines.
  writeFileSync(script, `#!/bin/sh\npayload=$(cat)\nprintf '%s\\n' "$payload" >> '${hooksLog(sandbox)}'\n`);
  chmodSync(script, 0o755);
  const hooks: Record<string, unknown[]> = {};
  for (const event of HOOK_EVENTS) {
    hooks[event] = [{ hooks: [{ type: 'command', command: `'${script}' ${event}`, timeout: 10 }] }];
  }
  writeFileSync(join(sandbox.codexHome, 'hooks.json'), `${JSON.stringify({ hooks }, null, 2)}\n`);
}

function interruptAfterPreToolUse(child: ChildProcess, log: string): void {
  const timer = setInterval(() => {
    let text = '';
    try {
      text = readFileSync(log, 'utf8');
    } catch {
      return;
    }
    if (text.includes('"PreToolUse"')) {
      clearInterval(timer);
      // Let the command start printing before the interrupt, as a user would see it.
      setTimeout(() => child.kill('SIGINT'), 300);
    }
  }, 50);
  child.on('close', () => clearInterval(timer));
}

function rolloutFiles(codexHome: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.startsWith('rollout-') && entry.name.endsWith('.jsonl')) found.push(path);
    }
  };
  walk(join(codexHome, 'sessions'));
  return found.sort();
}

function rewritePaths(text: string, sandbox: Sandbox): string {
  return text
    .split(sandbox.home)
    .join('/home/dev')
    .split(sandbox.root)
    .join('/home/dev/tmp')
    .split(REPO_ROOT)
    .join('/home/dev/infinium-codex');
}

async function capture(spec: Capture): Promise<void> {
  const server = await startModelServer(spec.script);
  const hookRun = hookRunArgs();
  const sandbox = makeSandbox({
    modelUrl: server.url,
    rootConfig: spec.rootConfig,
    tables: `${hookRun.tables}${spec.tables ?? ''}`,
  });
  installRecordingHook(sandbox);
  try {
    const run = await codexExec(spec.prompt, {
      sandbox,
      extraArgs: [...hookRun.extraArgs, ...(spec.extraArgs ?? [])],
      onSpawn: (child) => spec.onSpawn?.(child, sandbox),
    });
    const rollouts = rolloutFiles(sandbox.codexHome);
    const hooks = readFileSync(hooksLog(sandbox), 'utf8');
    const outDir = join(OUT_ROOT, 'scenarios', spec.name);
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    const rootThread = JSON.parse(run.stdout.split('\n')[0] ?? '{}').thread_id as string | undefined;
    const names: string[] = [];
    for (const file of rollouts) {
      const isRoot = rootThread !== undefined && file.endsWith(`${rootThread}.jsonl`);
      const name = isRoot ? 'rollout.jsonl' : `subagent-rollout-${names.length}.jsonl`;
      names.push(`${name} (${relative(sandbox.codexHome, file)})`);
      writeFileSync(join(outDir, name), rewritePaths(readFileSync(file, 'utf8'), sandbox));
    }
    writeFileSync(join(outDir, 'hooks.jsonl'), rewritePaths(hooks, sandbox));
    writeFileSync(join(outDir, 'exec-stdout.jsonl'), rewritePaths(run.stdout, sandbox));
    writeFileSync(
      join(outDir, 'README.md'),
      [
        `# ${spec.name}`,
        '',
        `Real \`codex exec --json\` run of @openai/codex@${codexVersionText()} against the scripted model server`,
        `(test/e2e/support/model-server.ts, script in test/e2e/support/turns.ts): ${spec.how}.`,
        `Prompt: "${spec.prompt}". Exit: ${run.code ?? run.signal}. Produced by \`npx tsx scripts/e2e-capture-fixtures.ts ${spec.name}\`,`,
        'with a recording hook on every event (run with --dangerously-bypass-hook-trust) appending each stdin',
        'payload to hooks.jsonl (one payload per line, in arrival order; `hook_event_name` is the event).',
        'Temp paths rewritten to /home/dev/...; exec-stdout.jsonl is what `codex exec --json` printed.',
        '',
        'Files:',
        ...names.map((name) => `- ${name}`),
        '',
      ].join('\n'),
    );
    const events = hooks
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).hook_event_name as string);
    process.stdout.write(
      `${spec.name}: exit ${run.code ?? run.signal}, ${rollouts.length} rollout(s), hooks: ${events.join(' ')}\n`,
    );
    if (run.stderr.trim())
      process.stdout.write(`  stderr: ${run.stderr.trim().split('\n').slice(-3).join(' | ')}\n`);
  } finally {
    await server.close();
    rmSync(sandbox.root, { recursive: true, force: true });
  }
}

/**
 * Writes a hooks.json exercising every part of the trust hash (matcher, statusMessage, explicit and default
 * timeouts, a clamped SessionEnd timeout, a matcher the hash must ignore on Stop, second groups and
 * handlers) plus trust entries computed per the spec, then runs Codex WITHOUT the bypass flag: the entries
 * are right if every trusted handler fires and the one with a tampered hash does not.
 */
async function captureTrust(): Promise<void> {
  const server = await startModelServer(conversation(oneCommand('trust')));
  const sandbox = makeSandbox({ modelUrl: server.url });
  const record = (file: string) => `printf '%s\\n' "$(cat)" >> "$HOME/${file}"`;
  const hooksFile: HooksFile = {
    hooks: {
      SessionStart: [{ hooks: [{ type: 'command', command: record('fired.jsonl') }] }],
      UserPromptSubmit: [
        { hooks: [{ type: 'command', command: record('fired.jsonl'), timeout: 5 }] },
        { hooks: [{ type: 'command', command: record('untrusted.jsonl'), timeout: 5 }] },
      ],
      PreToolUse: [
        {
          matcher: '^Bash$',
          hooks: [
            { type: 'command', command: record('fired.jsonl'), timeout: 10, statusMessage: 'recording' },
          ],
        },
      ],
      PostToolUse: [
        { matcher: '^Bash$', hooks: [{ type: 'command', command: record('fired.jsonl'), timeout: 30 }] },
      ],
      Stop: [
        {
          matcher: 'ignored-for-stop',
          hooks: [
            { type: 'command', command: record('fired.jsonl') },
            { type: 'command', command: record('fired-second-handler.jsonl'), async: false },
          ],
        },
      ],
      SessionEnd: [{ hooks: [{ type: 'command', command: record('fired.jsonl'), timeout: 10 }] }],
    },
  };
  const hooksPath = join(sandbox.codexHome, 'hooks.json');
  writeFileSync(hooksPath, `${JSON.stringify(hooksFile, null, 2)}\n`);
  const entries = trustEntries(hooksPath, hooksFile);
  const tampered = entries.map((entry) =>
    entry.key.endsWith(':user_prompt_submit:1:0') ? { ...entry, hash: `sha256:${'0'.repeat(64)}` } : entry,
  );
  const configPath = join(sandbox.codexHome, 'config.toml');
  writeFileSync(configPath, `${readFileSync(configPath, 'utf8')}\n${trustToml(tampered)}`);
  try {
    const run = await codexExec('Trust check.', { sandbox });
    const fired = readLines(join(sandbox.home, 'fired.jsonl')).map((payload) => payload.hook_event_name);
    const second = readLines(join(sandbox.home, 'fired-second-handler.jsonl')).length;
    const untrusted = readLines(join(sandbox.home, 'untrusted.jsonl')).length;
    const expected = ['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'Stop', 'SessionEnd'];
    if (fired.join() !== expected.join() || second !== 1 || untrusted !== 0) {
      throw new Error(
        `trust check failed: fired ${fired.join()} second ${second} untrusted ${untrusted}\n${run.stderr}`,
      );
    }
    const outDir = join(OUT_ROOT, 'trust');
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'hooks.json'), readFileSync(hooksPath, 'utf8'));
    writeFileSync(join(outDir, 'config-trust-block.toml'), rewritePaths(trustToml(tampered), sandbox));
    const verified = tampered.map((entry) => ({
      key: rewritePaths(entry.key, sandbox),
      canonical: entry.canonical,
      hash: entry.hash,
      fired: !entry.key.endsWith(':user_prompt_submit:1:0'),
    }));
    writeFileSync(join(outDir, 'expected.json'), `${JSON.stringify(verified, null, 2)}\n`);
    writeFileSync(
      join(outDir, 'README.md'),
      [
        `# Verified hook trust entries (Codex ${codexVersionText()})`,
        '',
        `hooks.json was written to CODEX_HOME (here /home/dev/.codex/hooks.json) and config-trust-block.toml appended to`,
        'CODEX_HOME/config.toml; then `codex exec` ran WITHOUT --dangerously-bypass-hook-trust. Every entry of',
        'expected.json with `fired: true` ran (its handler appended its payload); user_prompt_submit:1:0 has a',
        'deliberately wrong hash and did not run, proving the check was active. `canonical` is the exact string',
        'hashed (sha256 of its UTF-8 bytes). Note: Stop`s matcher is not part of its hash; SessionEnd`s timeout 10',
        'is hashed as 3 (clamped); handlers without timeout hash 600. Produced by',
        '`npx tsx scripts/e2e-capture-fixtures.ts trust`.',
        '',
      ].join('\n'),
    );
    process.stdout.write(`trust: verified ${entries.length} entries (fired: ${fired.join(' ')})\n`);
  } finally {
    await server.close();
    rmSync(sandbox.root, { recursive: true, force: true });
  }
}

function readLines(path: string): Record<string, unknown>[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

if (!codexInstalled()) {
  process.stderr.write(
    'Codex is not installed in .e2e-cache: run `node scripts/e2e-install-codex.mjs [version]` first.\n',
  );
  process.exit(1);
}
if (OUT_ROOT === '') {
  process.stderr.write('--out needs a folder: --out DIR.\n');
  process.exit(2);
}
if (atLeast('0.129.0') && !atLeast('0.140.0')) {
  process.stderr.write(
    `Codex ${codexVersionText()} checks hook trust and has no --dangerously-bypass-hook-trust (0.140+), so the recording hook cannot run: capture another version.\n`,
  );
  process.exit(1);
}
for (const spec of CAPTURES) {
  if (wanted.length === 0 || wanted.includes(spec.name)) await capture(spec);
}
if (wanted.length === 0 || wanted.includes('trust')) await captureTrust();
