// `infinium-codex init --system` (root): our hooks in Codex's managed layer (/etc/codex/hooks.json),
// which runs for every user and needs no trust, and machine-wide defaults in /etc/infinium-codex. The
// secret then comes from each user's environment (INFINIUM_AGENT_SECRET) or, when given here, from a
// root-owned file that every local user can read (their sessions send with it).
import { isDeepStrictEqual } from 'node:util';
import { readHooksFile, serializeHooks, withOurHooks } from '../../codex/hooks-file';
import { codexFileTarget, eventsFor, writeCodexFile } from '../../codex/install';
import { packageTrustProblem, packageTrustRefusal } from '../../codex/package-trust';
import { systemHooksFile } from '../../codex/system';
import { codexNeeds, detectCodex } from '../../codex/version';
import { backupFile, writeFileAtomic } from '../../config/atomic-file';
import { secretAccount } from '../../config/credentials';
import { markSystemHooksLive } from '../../config/hooks-live';
import { systemPaths } from '../../config/paths';
import { checkBaseUrl, insecureHttpAllowed, readSettings } from '../../config/settings';
import { updateSettingsFile } from '../../config/settings-file';
import { AgentCredentials, DEFAULT_BASE_URL } from '../../infinium/client';
import { hookTarget } from '../agent';
import { confirmAgent } from '../connection';
import type { CliContext } from '../context';
import { UserError } from '../errors';
import { checkAgentId, secretFromFlags } from '../secret-input';
import type { InitOptions } from './options';

export async function initSystem(options: InitOptions, ctx: CliContext): Promise<void> {
  const { out, env } = ctx;
  if (options.print && options.agentSecretStdin) {
    throw new UserError(
      "`init --system --print` never prints a secret: ship it to the machines as INFINIUM_AGENT_SECRET in each user's environment, or run `init --system --agent-secret-stdin` on each as root.",
      undefined,
      2,
    );
  }
  if (!options.print && process.platform !== 'win32' && process.getuid?.() !== 0) {
    throw new UserError(
      '`init --system` writes to /etc for every user, so run it as root (sudo).',
      undefined,
      1,
    );
  }
  if (options.scope !== undefined) {
    throw new UserError(
      '`--scope` does not apply to `init --system` (it always uses the managed layer).',
      undefined,
      2,
    );
  }
  const paths = systemPaths(env);
  const existing = readSettings(paths.config);
  const agentId = options.agentId ?? existing.agentId;
  if (!agentId) throw new UserError('`init --system` needs --agent-id.', undefined, 2);
  checkAgentId(agentId);
  const baseUrl = options.baseUrl ?? existing.baseUrl ?? DEFAULT_BASE_URL;
  checkBaseUrl(baseUrl, '--base-url', insecureHttpAllowed(ctx.env) || existing.allowInsecureHttp === true);
  const secret = options.print ? null : await secretFromFlags(options, env, ctx.stdin);
  const capture = options.capture ?? existing.capture ?? 'lean';
  const hooksFile = systemHooksFile(env);
  const hooks = readHooksFile(hooksFile);
  codexFileTarget(hooksFile);
  const unsafe = packageTrustProblem(ctx.target);
  if (unsafe) throw new UserError(packageTrustRefusal(unsafe));

  if (secret && !options.offline) {
    await confirmAgent(ctx, new AgentCredentials(agentId, secret, baseUrl));
  }
  const codex = await detectCodex(env, ctx.cwd);
  const target = hookTarget(ctx, options.frontEnd ?? 'native');
  const doc = withOurHooks(hooks.doc, eventsFor(capture, codexNeeds(codex.version)), target);
  const machineDefaults = {
    agentId,
    baseUrl: baseUrl === DEFAULT_BASE_URL ? undefined : baseUrl,
    capture,
    granularity: options.granularity ?? existing.granularity,
    contentMode: options.contentMode ?? existing.contentMode,
    ...(insecureHttpAllowed(ctx.env) && baseUrl.startsWith('http:') ? { allowInsecureHttp: true } : {}),
  };
  if (options.print) {
    // For a fleet's configuration management: the two files as this machine's install would write them.
    out.line(`# ${hooksFile} (managed hooks: Codex runs them for every user, with no trust entries)`);
    out.line(serializeHooks(doc, hooks.text).trimEnd());
    out.line(`# ${paths.config} (the machine's defaults; no secret)`);
    out.line(JSON.stringify({ ...existing, ...machineDefaults }, null, 2));
    return;
  }
  if (hooks.text === null || !isDeepStrictEqual(doc, hooks.doc)) {
    if (hooks.text !== null) backupFile(hooksFile);
    writeCodexFile(hooksFile, serializeHooks(doc, hooks.text));
  }
  // Sessions of every user run our hooks from now on: `import` must know (src/config/hooks-live.ts).
  markSystemHooksLive(env);
  out.line(
    `${out.green('✓')} Managed ${capture} capture hooks in ${hooksFile} (no trust needed), front-end ${target.nativeHook ? 'native' : `hook.sh${target.nativeRefused ? ` (${target.nativeRefused})` : ''}`}`,
  );
  updateSettingsFile(paths.config, machineDefaults, { mode: 0o644, dirMode: 0o755 });
  out.line(`${out.green('✓')} Machine defaults in ${paths.config}`);
  if (secret) {
    writeFileAtomic(
      paths.credentials,
      `${JSON.stringify({ [secretAccount(agentId, baseUrl)]: secret }, null, 2)}\n`,
      {
        mode: 0o644,
        forceMode: true,
        dirMode: 0o755,
      },
    );
    out.line(
      `${out.yellow('!')} The secret is in ${paths.credentials}, owned by root and readable by every local user (their sessions send with it).`,
    );
  } else {
    out.line('  No secret stored: give each user INFINIUM_AGENT_SECRET in their environment.');
  }
}
