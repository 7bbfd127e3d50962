/**
 * Shrinking and deleting a sink while its MQTT broker is unreachable: releasing the departed tasks' sessions fails,
 * and that must be a logged warning, never a crash of the worker (the release client needs its 'error' listener).
 */
import { eventually, freePort, rest, startFreshWorker, uniqueId, type WorkerHandle } from '../../helpers';

jest.setTimeout(180_000);

describe('MQTT session release with the broker unreachable', () => {
  let w: WorkerHandle;

  beforeAll(async () => {
    ({ w } = await startFreshWorker('release'));
  });
  afterAll(async () => {
    await w?.stop();
  });

  it('shrinks and deletes a sink; the worker stays up and answers', async () => {
    const name = uniqueId('rsink');
    const port = await freePort(); // nothing listens there: every connection is refused
    const config = (tasks: number): Record<string, string> => ({
      'connector.class': 'MqttSinkConnector',
      'tasks.max': String(tasks),
      topics: uniqueId('release').replace(/[^a-zA-Z0-9-]/g, '-'),
      'mqtt.server.uri': `mqtt://127.0.0.1:${port}`,
      'mqtt.topic': 'release/${key}',
      'mqtt.connect.timeout.ms': '1000',
    });
    expect((await rest(w.url, 'POST', '/connectors', { name, config: config(2) })).status).toBe(201);
    await eventually(
      async () => ((await rest(w.url, 'GET', `/connectors/${name}/status`)).body?.tasks ?? []).length === 2,
      { what: 'two tasks', timeoutMs: 60_000 },
    );
    expect((await rest(w.url, 'PUT', `/connectors/${name}/config`, config(1))).status).toBe(200);
    await eventually(
      async () => ((await rest(w.url, 'GET', `/connectors/${name}/status`)).body?.tasks ?? []).length === 1,
      { what: 'one task', timeoutMs: 60_000 },
    );
    expect((await rest(w.url, 'DELETE', `/connectors/${name}`)).status).toBe(204);
    expect((await rest(w.url, 'GET', '/connectors')).status).toBe(200);
    expect(w.proc.exitCode).toBeNull();
    expect(w.output()).toContain('could not end the MQTT session of a removed task');
  });
});
