// Sends one trace with the real client in a fresh process, so tests can prove that proxy settings are read
// from the environment exactly as a user's shell would provide them. Prints {"traceId"} or {"error"}.
import { AgentCredentials, sendTrace } from '../../src/infinium/client';

const agent = new AgentCredentials(
  process.env.TEST_AGENT_ID ?? '',
  process.env.TEST_AGENT_SECRET ?? '',
  process.env.TEST_BASE_URL,
);
sendTrace(agent, {
  name: 'proxy check',
  description: 'sent through the environment proxy settings',
  current_datetime: new Date().toISOString(),
  duration: 0.1,
}).then(
  (sent) => process.stdout.write(JSON.stringify(sent)),
  (error: Error) => process.stdout.write(JSON.stringify({ error: error.message })),
);
