// What makes our state folder unusable (issue 21, kind 3; attack21 F3, F8): everything in it decides where
// the secret and the traces go, so an entry another user left in it, or a link of theirs in its place, is
// refused as the folder of another user is; and a relative HOME would put it inside the current folder.
import {
  chmodSync,
  lchownSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stateRootProblem } from '../../../src/config/paths';
import { tightenStateRoot } from '../../../src/spool/layout';

let root: string;
let state: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'icx-state-root-'));
  state = join(root, 'state');
  mkdirSync(state, { mode: 0o700 });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const asRoot = process.getuid?.() === 0;

describe('stateRootProblem', () => {
  it("accepts a folder of ours holding only entries of ours (or root's)", () => {
    writeFileSync(join(state, 'config.json'), '{}');
    mkdirSync(join(state, 'outbox'));
    expect(stateRootProblem({ INFINIUM_CODEX_HOME: state })).toBeNull();
  });

  it.runIf(asRoot)('refuses a folder holding an entry another user left in it, whatever the mode now', () => {
    for (const name of ['config.json', 'allowed.json', 'outbox']) {
      const path = join(state, name);
      if (name === 'outbox') mkdirSync(path);
      else writeFileSync(path, '{}');
      lchownSync(path, 4242, 4242);
      expect(stateRootProblem({ INFINIUM_CODEX_HOME: state })).toBe(
        `The state folder ${state} holds ${name}, which belongs to another user (uid 4242) and could change where your secret and traces go, so the folder is not used: look at it and remove it, or set INFINIUM_CODEX_HOME to a folder of your own.`,
      );
      rmSync(path, { recursive: true });
    }
    // The first refusal's advice (chmod go-w) does not make another user's entries ours.
    writeFileSync(join(state, 'config.json'), '{"baseUrl":"http://127.0.0.1:9/api/v1"}');
    lchownSync(join(state, 'config.json'), 4242, 4242);
    chmodSync(state, 0o777);
    expect(stateRootProblem({ INFINIUM_CODEX_HOME: state })).toMatch(
      /holds config\.json, which belongs to another user/,
    );
    chmodSync(state, 0o700);
    expect(stateRootProblem({ INFINIUM_CODEX_HOME: state })).toMatch(
      /holds config\.json, which belongs to another user/,
    );
  });

  it.runIf(asRoot)(
    "refuses a folder others could enter that holds another user's entry at any depth, and leaves it as found (attack21b N2)",
    () => {
      mkdirSync(join(state, 'outbox'));
      const planted = join(state, 'outbox', 'forged~turn-0001.json');
      writeFileSync(planted, '{}');
      lchownSync(planted, 4242, 4242);
      chmodSync(join(state, 'outbox'), 0o777);
      // `chmod go-w` on the folder alone, as the refusal of a 0777 folder said.
      chmodSync(state, 0o755);
      const env = { INFINIUM_CODEX_HOME: state };
      tightenStateRoot(env);
      expect(stateRootProblem(env)).toBe(
        `The state folder ${state} holds outbox/forged~turn-0001.json, which belongs to another user (uid 4242) and could change where your secret and traces go, so the folder is not used: look at it and remove it, or set INFINIUM_CODEX_HOME to a folder of your own.`,
      );
      // Not closed around the planted entry: the next run still looks all the way down.
      expect(statSync(state).mode & 0o777).toBe(0o755);
      expect(statSync(join(state, 'outbox')).mode & 0o777).toBe(0o777);
      rmSync(planted);
      // What others could write in, they could have renamed or removed: the user closes it after a look.
      expect(stateRootProblem(env)).toMatch(/holds outbox, which other users can write \(mode 0777\)/);
      chmodSync(join(state, 'outbox'), 0o700);
      tightenStateRoot(env);
      expect(stateRootProblem(env)).toBeNull();
      expect(statSync(state).mode & 0o777).toBe(0o700);
    },
  );

  // attack21d V6a: after a recursive `chmod 777`, another user rewrote config.json and credentials.json in
  // place (still the user's files); the user closed the folder with `chmod 700`. Neither is used, nor closed.
  it('refuses a folder holding a file others can write, at any depth, closed or not, and leaves it as found', () => {
    const env = { INFINIUM_CODEX_HOME: state };
    mkdirSync(join(state, 'outbox'), { mode: 0o700 });
    for (const name of ['config.json', 'outbox/t~1.json']) {
      writeFileSync(join(state, name), '{}');
      chmodSync(join(state, name), 0o666);
      for (const mode of [0o777, 0o700]) {
        chmodSync(state, mode);
        tightenStateRoot(env);
        expect(stateRootProblem(env)).toBe(
          `The state folder ${state} holds ${name}, which other users can write (mode 0666) and could have changed where your secret and traces go, so the folder is not used: look at it, then run \`chmod -R go-w ${state}\`, or set INFINIUM_CODEX_HOME to a folder of your own.`,
        );
        expect(statSync(join(state, name)).mode & 0o777).toBe(0o666);
      }
      chmodSync(join(state, name), 0o600);
    }
    expect(stateRootProblem(env)).toBeNull();
  });

  it('closes hooks-live.json and allowed.json with the rest of our files', () => {
    for (const name of ['hooks-live.json', 'allowed.json'])
      writeFileSync(join(state, name), '{}', { mode: 0o644 });
    chmodSync(state, 0o755);
    tightenStateRoot({ INFINIUM_CODEX_HOME: state });
    expect(statSync(state).mode & 0o777).toBe(0o700);
    for (const name of ['hooks-live.json', 'allowed.json'])
      expect(statSync(join(state, name)).mode & 0o777).toBe(0o600);
  });

  it.runIf(asRoot)('refuses a link another user made in its place, even to a folder of ours', () => {
    const link = join(root, 'link');
    symlinkSync(state, link);
    expect(stateRootProblem({ INFINIUM_CODEX_HOME: link })).toBeNull();
    lchownSync(link, 4242, 4242);
    expect(stateRootProblem({ INFINIUM_CODEX_HOME: link })).toBe(
      `The state folder ${link} is a link that belongs to another user (uid 4242), who could point it elsewhere, so it is not used: set INFINIUM_CODEX_HOME to a folder of your own.`,
    );
  });

  it('refuses a relative HOME, as a relative INFINIUM_CODEX_HOME', () => {
    expect(stateRootProblem({ HOME: 'home' })).toBe(
      'HOME must be an absolute path, not "home", or the state folder would land inside the current folder: set HOME to your home folder\'s full path, or INFINIUM_CODEX_HOME to a full path.',
    );
    expect(stateRootProblem({ HOME: join(root, 'home') })).toBeNull();
  });
});
