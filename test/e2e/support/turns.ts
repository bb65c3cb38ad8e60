// The scripted model behaviour of each e2e scenario, shared by the scenario tests, the overhead bench and
// the fixture capture script (scripts/e2e-capture-fixtures.ts), so fixtures and tests describe the same
// sessions. Usage figures are distinct per reply so a wrong sum cannot match by accident.
import { join } from 'node:path';
import {
  applyPatch,
  conversation,
  execCommand,
  functionCall,
  type ModelReply,
  type ModelScript,
  message,
  toolSearch,
  withSubagent,
} from './model-server';

export const MCP_SERVER_PATH = join(import.meta.dirname, 'mcp-server.mjs');
export const MCP_SERVER_NAME = 'fixture';
export const MCP_TOOL = 'lookup';
/** The `[mcp_servers.*]` table that makes Codex start the test's MCP server. */
export const MCP_CONFIG = `[mcp_servers.${MCP_SERVER_NAME}]\ncommand = "node"\nargs = ["${MCP_SERVER_PATH}"]\n`;

export function oneCommand(marker = 'one'): ModelReply[] {
  return [
    { items: [execCommand(`${marker}_call_1`, `echo hello-${marker}`)], usage: { input: 1200, output: 40 } },
    {
      items: [message(`Printed hello-${marker}.`)],
      usage: { input: 1300, cached: 1000, output: 25, reasoning: 8 },
    },
  ];
}

export function failingCommand(): ModelReply[] {
  return [
    {
      items: [execCommand('fail_call_1', "echo 'about to fail' >&2; ls /definitely/missing; exit 3")],
      usage: { input: 900, output: 30 },
    },
    {
      items: [message('The command failed with exit code 3.')],
      usage: { input: 1000, cached: 800, output: 20 },
    },
  ];
}

const CREATE_PATCH = [
  '*** Begin Patch',
  '*** Add File: notes/todo.txt',
  '+first line',
  '+second line',
  '*** Add File: hello.py',
  "+print('hello')",
  '*** End Patch',
].join('\n');

const EDIT_PATCH = [
  '*** Begin Patch',
  '*** Update File: hello.py',
  '@@',
  "-print('hello')",
  "+print('hello, world')",
  '*** End Patch',
].join('\n');

export function patchFiles(): ModelReply[] {
  return [
    { items: [applyPatch('patch_call_1', CREATE_PATCH)], usage: { input: 1500, output: 90 } },
    { items: [applyPatch('patch_call_2', EDIT_PATCH)], usage: { input: 1700, cached: 1400, output: 60 } },
    {
      items: [message('Created notes/todo.txt and hello.py, then edited hello.py.')],
      usage: { input: 1800, cached: 1600, output: 30, reasoning: 12 },
    },
  ];
}

/**
 * How a Codex offers MCP tools to the model (codex-matrix H4): 0.145+ defer them behind tool_search and
 * the model calls them by namespace `mcp__<server>`; 0.124-0.129 offer them up front in namespace
 * `mcp__<server>__`; 0.117 offers them up front by their full name.
 */
export type McpStyle = 'deferred' | 'namespaced' | 'direct';

export function mcpCall(style: McpStyle = 'deferred'): ModelReply[] {
  const answer: ModelReply = {
    items: [message('The lookup returned cba.')],
    usage: { input: 1250, cached: 1000, output: 15 },
  };
  const usage = { input: 1100, output: 35 };
  if (style === 'direct') {
    return [
      { items: [functionCall('mcp_call_1', `mcp__${MCP_SERVER_NAME}__${MCP_TOOL}`, { key: 'abc' })], usage },
      answer,
    ];
  }
  const call = functionCall('mcp_call_1', MCP_TOOL, { key: 'abc' });
  if (style === 'namespaced') {
    return [{ items: [{ ...call, namespace: `mcp__${MCP_SERVER_NAME}__` }], usage }, answer];
  }
  return [
    {
      items: [toolSearch('search_call_1', `${MCP_SERVER_NAME} ${MCP_TOOL}`)],
      usage: { input: 1000, output: 12 },
    },
    { items: [{ ...call, namespace: `mcp__${MCP_SERVER_NAME}` }], usage },
    answer,
  ];
}

const CHILD_TASK = 'Run `echo from-child` and report what it printed.';

const CHILD_REPLIES: ModelReply[] = [
  { items: [execCommand('child_call_1', 'echo from-child')], usage: { input: 700, output: 22 } },
  { items: [message('It printed from-child.')], usage: { input: 760, cached: 600, output: 9 } },
];

function childThread(): ModelScript {
  return conversation(CHILD_REPLIES);
}

/**
 * Codex 0.169's default multi-agent tools (namespace `multi_agent_v1`) are deferred: the root finds them
 * with tool_search, spawns a sub-agent, waits for it by the id the spawn returned, and answers; the
 * sub-agent runs one command and answers.
 */
export function subagentSpawnAndWait(): {
  script: ModelScript;
  replies: ModelReply[];
  childReplies: ModelReply[];
} {
  const namespace = 'multi_agent_v1';
  const search: ModelReply = {
    items: [toolSearch('search_call_1', 'spawn agent wait')],
    usage: { input: 1900, output: 15 },
  };
  const spawn: ModelReply = {
    items: [{ ...functionCall('spawn_call_1', 'spawn_agent', { message: CHILD_TASK }), namespace }],
    usage: { input: 2000, output: 50 },
  };
  const done: ModelReply = {
    items: [message('The helper printed from-child.')],
    usage: { input: 2300, cached: 2000, output: 18 },
  };
  const waitUsage = { input: 2100, output: 20 };
  const waitFor = (agentId: string): ModelReply => ({
    items: [
      { ...functionCall('wait_call_1', 'wait_agent', { targets: [agentId], timeout_ms: 30_000 }), namespace },
    ],
    usage: waitUsage,
  });
  const root: ModelScript = (request) => {
    const spawned = request.toolOutputs.get('spawn_call_1');
    if (request.toolOutputs.has('wait_call_1')) return done;
    if (spawned !== undefined)
      return waitFor(String((JSON.parse(spawned) as { agent_id?: string }).agent_id));
    if (request.toolOutputs.has('search_call_1')) return spawn;
    return search;
  };
  return {
    script: withSubagent(root, childThread()),
    replies: [search, spawn, waitFor(''), done],
    childReplies: CHILD_REPLIES,
  };
}

/** The same with `[features] multi_agent_v2 = true`: namespace `collaboration`, tools offered up front. */
export function subagentV2SpawnAndWait(): ModelScript {
  const collab = (callId: string, name: string, args: Record<string, unknown>) => ({
    ...functionCall(callId, name, args),
    namespace: 'collaboration',
  });
  const root = conversation([
    {
      items: [
        collab('spawn_call_1', 'spawn_agent', {
          task_name: 'helper',
          message: CHILD_TASK,
          fork_turns: 'none',
        }),
      ],
      usage: { input: 2000, output: 50 },
    },
    {
      items: [collab('wait_call_1', 'wait_agent', { timeout_ms: 30_000 })],
      usage: { input: 2100, output: 20 },
    },
    { items: [message('The helper printed from-child.')], usage: { input: 2300, cached: 2000, output: 18 } },
  ]);
  return withSubagent(root, childThread());
}

/** A command that outlives the test's patience: the test interrupts Codex while it runs. */
export function longCommand(): ModelReply[] {
  return [
    {
      items: [execCommand('long_call_1', 'echo started; sleep 30; echo never', 60_000)],
      usage: { input: 800, output: 20 },
    },
    { items: [message('Finished sleeping.')], usage: { input: 900, output: 10 } },
  ];
}

/**
 * Ten commands, then a message. Another `marker` gives the calls their own ids and the message its own text,
 * so the script can run again as a later turn of the same session (a conversation script skips what the
 * history already holds).
 */
export function tenCommands(marker = 'ten'): ModelReply[] {
  const replies: ModelReply[] = [];
  for (let index = 1; index <= 10; index += 1) {
    replies.push({
      items: [execCommand(`${marker}_call_${index}`, `echo step-${index}`)],
      usage: { input: 1000 + index * 100, cached: index * 50, output: 10 + index },
    });
  }
  const text = marker === 'ten' ? 'Ran ten commands.' : `Ran ten commands (${marker}).`;
  replies.push({ items: [message(text)], usage: { input: 2200, cached: 500, output: 12 } });
  return replies;
}

/**
 * Two commands; the first reply's usage is over a small `model_auto_compact_token_limit`, so Codex compacts
 * the history mid-turn (a request carrying its checkpoint prompt) before asking for the next step. After the
 * compaction the history no longer holds the first call, so the script counts steps instead of reading them.
 */
export function compaction(): { script: ModelScript; replies: ModelReply[] } {
  const summary: ModelReply = {
    items: [message('Summary: ran echo before-compaction.')],
    usage: { input: 1500, output: 60 },
  };
  const steps: ModelReply[] = [
    { items: [execCommand('compact_call_1', 'echo before-compaction')], usage: { input: 3000, output: 40 } },
    { items: [execCommand('compact_call_2', 'echo after-compaction')], usage: { input: 900, output: 40 } },
    { items: [message('Both commands ran.')], usage: { input: 950, output: 15 } },
  ];
  let step = 0;
  const script: ModelScript = (request) => {
    if (request.text.includes('CONTEXT CHECKPOINT COMPACTION')) return summary;
    const reply = steps[Math.min(step, steps.length - 1)] as ModelReply;
    step += 1;
    return reply;
  };
  return { script, replies: [steps[0] as ModelReply, summary, ...steps.slice(1)] };
}

/** Keeps every model response's usage under it except the first one of the compaction script. */
export const COMPACT_TOKEN_LIMIT = 2500;

export function sumUsage(replies: ModelReply[]): {
  input: number;
  cached: number;
  output: number;
  reasoning: number;
} {
  return replies.reduce(
    (sum, { usage }) => ({
      input: sum.input + usage.input,
      cached: sum.cached + (usage.cached ?? 0),
      output: sum.output + usage.output,
      reasoning: sum.reasoning + (usage.reasoning ?? 0),
    }),
    { input: 0, cached: 0, output: 0, reasoning: 0 },
  );
}
