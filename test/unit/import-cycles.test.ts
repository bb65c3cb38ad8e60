// Dependencies point one way (cli -> worker -> trace/infinium/codex/spool; config below them all): no
// module of src/ imports, even for a type, a module that imports it back, and the spool and config layers
// import nothing from the layers above them. dpdm reads the import graph the way TypeScript resolves it.
import { type DependencyTree, parseCircular, parseDependencyTree } from 'dpdm';
import { beforeAll, describe, expect, it } from 'vitest';

let tree: DependencyTree;
beforeAll(async () => {
  tree = await parseDependencyTree(['./src/**/*.ts'], {
    context: process.cwd(),
    transform: false,
    extensions: ['.ts', '.mjs', '.js', '.json'],
  });
}, 60_000);

describe('src/ import graph', () => {
  it('has no cycle, type-only imports included', () => {
    expect(Object.keys(tree).length).toBeGreaterThan(100);
    expect(parseCircular(tree)).toEqual([]);
  });

  it('spool/ and config/ import nothing from cli/, worker/ or trace/', () => {
    const upward = Object.entries(tree).flatMap(([from, deps]) =>
      /^src\/(spool|config)\//.test(from)
        ? (deps ?? [])
            .filter((dep) => /^src\/(cli|worker|trace)\//.test(dep.id ?? ''))
            .map((dep) => `${from} -> ${dep.id}`)
        : [],
    );
    expect(upward).toEqual([]);
  });
});
