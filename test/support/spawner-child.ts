// The process behind spawner.ts: reads one JSON request a line from stdin, runs it with runProcess, and
// answers with one JSON line each. Kept small on purpose: forking from it stays cheap.
import { createInterface } from 'node:readline';
import { runProcess } from './capture-harness';
import type { SpawnRequest, SpawnResponse } from './spawner';

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const request = JSON.parse(line) as SpawnRequest;
  const payload = request.payload === null ? null : Buffer.from(request.payload, 'base64');
  runProcess(request.command, request.args, payload, request.env, request)
    .then((result) => answer({ id: request.id, result }))
    .catch((error: Error) => answer({ id: request.id, error: error.message }));
});

function answer(response: SpawnResponse): void {
  process.stdout.write(`${JSON.stringify(response)}\n`);
}
