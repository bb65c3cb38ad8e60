// `infinium-codex test`: config, secret and network checked with Infinium's health endpoint; with
// --send-trace, also one trace marked as a connection test (sent only when asked: Maestro scores traces).
import { serializeTaskData } from '../infinium/task-data';
import { describeConfigSource, describeSecretSource, requireAgent } from './agent';
import { sendTestTrace, verifyCredentials } from './connection';
import type { CliContext } from './context';
import { hookReadiness } from './doctor';
import { ExitCode } from './errors';
import { withProgress } from './progress';

export interface TestOptions {
  sendTrace?: boolean;
  verbose?: boolean;
  json?: boolean;
}

export async function test(options: TestOptions, ctx: CliContext): Promise<void> {
  const { out } = ctx;
  const { config, agent, secret } = await requireAgent(ctx);
  const spin = { stream: ctx.progress, enabled: !options.json };
  const checked = await withProgress(spin, `Checking agent ${config.agentId} with Infinium`, () =>
    verifyCredentials(agent),
  );
  const sent = options.sendTrace
    ? await withProgress(spin, 'Sending a connection-test trace', () =>
        sendTestTrace(agent, config.projectName),
      )
    : undefined;
  // Green credentials are not enough: without our hooks installed and trusted, Codex traces nothing.
  const hookProblems = await hookReadiness(ctx);
  if (options.json) {
    out.json({
      ok: hookProblems.length === 0,
      hookProblems: hookProblems.map(({ check, summary, fix }) => ({ check, summary, fix: fix ?? null })),
      agentId: config.agentId,
      baseUrl: config.baseUrl,
      configSource: config.source,
      secretSource: secret.source,
      agentName: checked.agentName ?? null,
      traceId: sent ? (sent.traceId ?? null) : null,
      ...(options.verbose && sent ? { payload: sent.taskData } : {}),
    });
    if (hookProblems.length > 0) throw new ExitCode(1);
    return;
  }
  out.line(
    `${out.green('✓')} Config: agent ${config.agentId} at ${config.baseUrl} (${describeConfigSource(config, ctx.env)})`,
  );
  out.line(`${out.green('✓')} Secret: found in ${describeSecretSource(secret.source, ctx.env)}`);
  out.line(
    `${out.green('✓')} Infinium accepted the agent id and secret${checked.agentName ? ` (${checked.agentName})` : ''}`,
  );
  if (sent) {
    out.line(
      `${out.green('✓')} Sent a connection-test trace: ${sent.traceId ?? '(no id returned)'} (named "${sent.taskData.name}")`,
    );
    if (options.verbose) out.line(JSON.stringify(JSON.parse(serializeTaskData(sent.taskData)), null, 2));
  } else if (options.verbose) {
    out.line('  No trace was sent; `--send-trace` sends one, marked as a connection test.');
  }
  for (const problem of hookProblems) {
    out.line(`${out.red('✗')} ${problem.check}: ${problem.summary}`);
    if (problem.fix) out.line(`    fix: ${problem.fix}`);
  }
  if (hookProblems.length > 0) {
    out.line(
      'Nothing will be traced from here until that is fixed (`infinium-codex doctor` checks everything).',
    );
    throw new ExitCode(1);
  }
  out.line(`${out.green('✓')} Hooks: installed and trusted, so Codex turns here are traced`);
}
