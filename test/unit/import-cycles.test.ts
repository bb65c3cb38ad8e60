// Dependencies point one way (cli -> worker -> trace/infinium/codex/spool): no module of src/ imports,
// even for a type, a module that imports it back. dpdm reads the import graph the way TypeScript resolves it.
import { parseCircular, parseDependencyTree } from 'dpdm';
import { describe, expect, it } from 'vitest';

describe('src/ import graph', () => {
  it('has no cycle, type-only imports included', async () => {
    const tree = await parseDependencyTree(['./src/**/*.ts'], {
      context: process.cwd(),
      transform: false,
      extensions: ['.ts', '.mjs', '.js', '.json'],
    });
    expect(Object.keys(tree).length).toBeGreaterThan(100);
    expect(parseCircular(tree)).toEqual([]);
  });
});
