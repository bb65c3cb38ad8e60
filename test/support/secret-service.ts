// vitest globalSetup: a REAL Secret Service for the keyring tests. Where dbus-daemon and
// gnome-keyring-daemon exist (`.ci/run` installs them), starts a private D-Bus session bus and an unlocked
// gnome-keyring with a temp XDG_DATA_HOME, and hands its environment to the tests that ask for it
// (inject('secretService')); nothing else sees it, so every other test keeps the no-keyring fallback.
// Torn down after the run.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

export interface SecretServiceEnv {
  DBUS_SESSION_BUS_ADDRESS: string;
  XDG_DATA_HOME: string;
  XDG_RUNTIME_DIR: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The Secret Service's environment, or why none could be started. */
    secretService: SecretServiceEnv | { unavailable: string };
  }
}

function onPath(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function answers(env: SecretServiceEnv): Promise<boolean> {
  const { AsyncEntry } = await import('@napi-rs/keyring');
  const saved = process.env.DBUS_SESSION_BUS_ADDRESS;
  process.env.DBUS_SESSION_BUS_ADDRESS = env.DBUS_SESSION_BUS_ADDRESS;
  try {
    const entry = new AsyncEntry('infinium-codex-test-setup', 'probe', {
      linux: { store: 'secret-service' },
    });
    await entry.setPassword('probe', AbortSignal.timeout(2_000));
    await entry.deletePassword(AbortSignal.timeout(2_000));
    return true;
  } catch {
    return false;
  } finally {
    if (saved === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
    else process.env.DBUS_SESSION_BUS_ADDRESS = saved;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  if (process.platform !== 'linux' || !onPath('dbus-daemon') || !onPath('gnome-keyring-daemon')) {
    project.provide('secretService', {
      unavailable: 'no dbus-daemon / gnome-keyring-daemon here (`.ci/run` installs them on Debian)',
    });
    return () => {};
  }
  const root = mkdtempSync(join(tmpdir(), 'icx-secret-service-'));
  const env: SecretServiceEnv = {
    DBUS_SESSION_BUS_ADDRESS: '',
    XDG_DATA_HOME: join(root, 'data'),
    XDG_RUNTIME_DIR: join(root, 'run'),
  };
  mkdirSync(env.XDG_DATA_HOME, { recursive: true });
  mkdirSync(env.XDG_RUNTIME_DIR, { recursive: true, mode: 0o700 });
  // A session bus of our own, without service activation: a probe made before our gnome-keyring has
  // registered would otherwise start a second, locked one from the system's service files, and the real
  // Secret Service then never answers. --nofork keeps the bus our child (killed at teardown); its first
  // stdout line is the address.
  const busConfig = join(root, 'bus.conf');
  writeFileSync(
    busConfig,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=${root}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`,
  );
  const bus = spawn('dbus-daemon', [`--config-file=${busConfig}`, '--nofork', '--print-address=1'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  env.DBUS_SESSION_BUS_ADDRESS = await new Promise<string>((resolve) => {
    let text = '';
    bus.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.includes('\n')) resolve(text.split('\n')[0] ?? '');
    });
    bus.on('exit', () => resolve(''));
  });
  const keyring: ChildProcess = spawn(
    'gnome-keyring-daemon',
    ['--foreground', '--unlock', '--components=secrets'],
    {
      env: { PATH: process.env.PATH, HOME: root, ...env },
      stdio: ['pipe', 'ignore', 'ignore'],
    },
  );
  keyring.stdin?.end('test-keyring-password');
  let ready = false;
  for (let attempt = 0; attempt < 25 && !ready; attempt += 1) {
    ready = await answers(env);
    if (!ready) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const teardown = () => {
    keyring.kill('SIGTERM');
    bus.kill('SIGTERM');
    rmSync(root, { recursive: true, force: true });
  };
  if (!ready) {
    teardown();
    project.provide('secretService', {
      unavailable: 'gnome-keyring-daemon started but its Secret Service never answered',
    });
    return () => {};
  }
  project.provide('secretService', env);
  return teardown;
}
