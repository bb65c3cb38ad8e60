// The hook install shared by the set-ups that ask no questions (`init --ci`, `init --local`): our hooks in
// this user's Codex home, trusted unless --no-trust, and the one line that says so.
import { installHooks } from '../codex/install';
import { codexNeeds, type DetectedCodex } from '../codex/version';
import type { CaptureMode, FrontEnd } from '../config/settings';
import { hookTarget } from './agent';
import type { CliContext } from './context';

export function installUserHooks(
  ctx: CliContext,
  codex: DetectedCodex,
  options: { capture: CaptureMode; frontEnd?: FrontEnd; trust?: boolean },
): void {
  const target = hookTarget(ctx, options.frontEnd);
  const installed = installHooks({
    scope: 'user',
    projectDir: ctx.cwd,
    capture: options.capture,
    target,
    trust: options.trust !== false,
    codexVersion: codex.version,
    env: ctx.env,
  });
  const trusted = codexNeeds(codex.version).trust && options.trust !== false ? ', trusted' : '';
  ctx.out.line(
    `${ctx.out.green('✓')} ${installed.hooksChanged ? 'Installed' : 'Kept'} ${options.capture} capture hooks in ${installed.hooksFile} (${target.nativeHook ? 'native' : 'hook.sh'}${trusted})`,
  );
}
