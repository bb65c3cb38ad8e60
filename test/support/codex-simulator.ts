// A simulated Codex session for load and fault tests: it appends to its rollout file what Codex 0.169
// writes for a turn (task_started, turn_context, the prompt, per tool call a function_call, its
// CommandExecution item and its function_call_output, one token_usage_record per model response, the
// assistant message, task_complete) and fires the hook events Codex fires, in Codex's order, through the
// real hook front-end. As in Codex, task_complete reaches the rollout only after the Stop hook returned.
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { RolloutWriter } from '../unit/codex/rollout-writer';
import {
  codexSession,
  type FrontEnd,
  type HookRun,
  makeSandbox,
  runHook,
  type Sandbox,
  storeAgentSecret,
} from './capture-harness';
import { type StandIn, startStandIn } from './infinium-stand-in';

export type HookMode = 'lean' | 'full';

export interface SimulatedSessionOptions {
  sessionId: string;
  /** The project directory (whose .infinium/config.json names the agent). */
  cwd: string;
  codexHome: string;
  env: Record<string, string>;
  mode: HookMode;
  toolsPerTurn: number;
  frontEnd?: FrontEnd;
  /** A dist folder other than the built one (e.g. one whose worker does nothing). */
  dist?: string;
  /** Called with every hook run and its wall time (spawn to exit), for latency figures. */
  onHook?: (event: string, run: HookRun, ms: number) => void;
}

/** What one simulated turn put on the wire: the tokens its trace must report. */
export interface SimulatedTurn {
  sessionId: string;
  turnId: string;
  totalTokens: number;
}

export class SimulatedSession {
  readonly rollout: string;
  readonly turns: SimulatedTurn[] = [];
  private readonly writer: RolloutWriter;
  private readonly payloads: ReturnType<typeof codexSession>;
  private written = 0;
  private started = false;

  constructor(readonly options: SimulatedSessionOptions) {
    const dir = join(options.codexHome, 'sessions', '2026', '11', '25');
    mkdirSync(dir, { recursive: true });
    this.rollout = join(dir, `rollout-2026-11-25T10-00-00-${options.sessionId}.jsonl`);
    this.writer = new RolloutWriter(options.sessionId, Date.now());
    this.payloads = codexSession(options.sessionId, options.cwd, this.rollout);
  }

  /** One whole turn: prompt, tool calls, answer, Stop, then task_complete. */
  async turn(): Promise<SimulatedTurn> {
    const { sessionId, toolsPerTurn, mode } = this.options;
    const number = this.turns.length + 1;
    const turnId = `${sessionId.slice(0, 8)}-turn-${String(number).padStart(4, '0')}`;
    const prompt = `Turn ${number}: run ${toolsPerTurn} commands.`;
    if (!this.started) {
      this.writer.sessionMeta({ cwd: this.options.cwd });
      this.started = true;
    }
    this.writer.startTurn(turnId, prompt);
    this.flush();
    await this.hook('UserPromptSubmit', this.payloads.prompt(turnId, prompt));
    let totalTokens = 0;
    for (let call = 1; call <= toolsPerTurn; call += 1) {
      const callId = `${turnId}-call-${call}`;
      const command = `echo step-${call}`;
      // The model's response that asked for the call, then the call itself.
      const counts = { input: 1_000 + call, output: 10 + (call % 7) };
      totalTokens += counts.input + counts.output;
      this.writer.usage(turnId, `${callId}-resp`, counts);
      this.flush();
      if (mode === 'full') await this.hook('PreToolUse', this.payloads.preTool(turnId, callId, command));
      this.writer.exec(turnId, callId, command, { output: `step-${call}\n`, exitCode: 0 });
      this.flush();
      if (mode === 'full') {
        await this.hook('PostToolUse', this.payloads.postTool(turnId, callId, command, `step-${call}\n`));
      }
    }
    const answer = `Ran ${toolsPerTurn} commands.`;
    const final = { input: 2_000, output: 20 };
    totalTokens += final.input + final.output;
    this.writer.agentMessage(turnId, answer).usage(turnId, `${turnId}-final`, final);
    this.flush();
    await this.hook('Stop', this.payloads.stop(turnId, answer));
    this.writer.complete(turnId, 1_000, answer);
    this.flush();
    const turn = { sessionId, turnId, totalTokens };
    this.turns.push(turn);
    return turn;
  }

  async end(): Promise<void> {
    await this.hook('SessionEnd', this.payloads.sessionEnd());
  }

  /** Runs `turns` turns and ends the session. */
  async run(turns: number): Promise<SimulatedTurn[]> {
    for (let i = 0; i < turns; i += 1) await this.turn();
    await this.end();
    return this.turns;
  }

  private flush(): void {
    const lines = this.writer.lines.slice(this.written);
    this.written = this.writer.lines.length;
    // One append per batch, as Codex's writer appends whole lines.
    appendFileSync(this.rollout, lines.map((line) => `${line}\n`).join(''));
  }

  private async hook(event: string, payload: string): Promise<void> {
    const started = performance.now();
    const run = await runHook(this.options.frontEnd ?? 'sh', event, payload, this.options.env, {
      dist: this.options.dist,
    });
    this.options.onHook?.(event, run, performance.now() - started);
  }
}

/** The p-th percentile (0-100) of a list of numbers, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

/** A positive integer from the environment, else `fallback`: how the reliability suites scale. */
export function envCount(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

export interface Pipeline {
  server: StandIn;
  box: Sandbox;
  /** The sandbox's env (the agent's secret is stored, as `init` stores it). */
  env: Record<string, string>;
}

/** The stand-in Infinium and a sandbox whose project names the agent: the capture pipeline's world. */
export async function startPipeline(agentId: string, secret: string): Promise<Pipeline> {
  const server = await startStandIn({ [agentId]: secret });
  const box = makeSandbox({ agentId, baseUrl: server.url });
  storeAgentSecret(box, { [agentId]: secret });
  return { server, box, env: { ...box.env } };
}
