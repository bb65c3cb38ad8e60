// A tiny stdio MCP server for the e2e tests (newline-delimited JSON-RPC 2.0): one tool, `lookup`, that
// answers `value of <key>: <key reversed>`, so a test can check the MCP result that reaches the trace.
// Plain JavaScript so Codex can start it with `node` alone, without a TypeScript loader.
import { createInterface } from 'node:readline';

const TOOL = {
  name: 'lookup',
  description: 'Looks a key up in the fixture table.',
  inputSchema: {
    type: 'object',
    properties: { key: { type: 'string', description: 'the key to look up' } },
    required: ['key'],
    additionalProperties: false,
  },
};

function reply(id, result) {
  process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', id, result })}\n`);
}

function fail(id, code, message) {
  process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', id, error: { code, message } })}\n`);
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() === '') return;
  const request = JSON.parse(line);
  if (request.id === undefined) return;
  switch (request.method) {
    case 'initialize':
      reply(request.id, {
        protocolVersion: request.params?.protocolVersion ?? '2025-06-18',
        capabilities: { tools: {} },
        serverInfo: { name: 'e2e-fixture', version: '1.0.0' },
      });
      return;
    case 'tools/list':
      reply(request.id, { tools: [TOOL] });
      return;
    case 'tools/call': {
      const key = String(request.params?.arguments?.key ?? '');
      const text = `value of ${key}: ${[...key].reverse().join('')}`;
      reply(request.id, { content: [{ type: 'text', text }], isError: false });
      return;
    }
    case 'ping':
      reply(request.id, {});
      return;
    default:
      fail(request.id, -32601, `method not found: ${request.method}`);
  }
});
