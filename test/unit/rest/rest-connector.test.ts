import { RestHarness, source } from './harness';

describe('REST API', () => {
  let h: RestHarness;
  beforeEach(async () => {
    h = await new RestHarness().start();
  });
  afterEach(async () => {
    await h.stop();
  });

  describe('an existing connector', () => {
    beforeEach(async () => {
      expect((await h.call('POST', '/connectors', source('s1', { 'api.password': 'hunter2' }))).status).toBe(201);
    });

    it('GET /connectors?expand=status&expand=info answers both per connector', async () => {
      const r = await h.call('GET', '/connectors?expand=status&expand=info');
      expect(r.status).toBe(200);
      expect(r.body).toEqual({
        s1: {
          status: {
            name: 's1',
            connector: { state: 'RUNNING', worker_id: '127.0.0.1:8083' },
            tasks: [
              { id: 0, state: 'RUNNING', worker_id: '127.0.0.1:8083' },
              { id: 1, state: 'RUNNING', worker_id: '127.0.0.1:8083' },
            ],
            type: 'source',
          },
          info: expect.objectContaining({ name: 's1', type: 'source' }),
        },
      });
      expect(Object.keys((await h.call('GET', '/connectors?expand=info')).body as object)).toEqual(['s1']);
      expect((await h.call('GET', '/connectors?expand=info')).body).not.toHaveProperty('s1.status');
    });

    it('GET /connectors/{n} and /config hide secrets', async () => {
      const info = await h.call('GET', '/connectors/s1');
      expect(info.status).toBe(200);
      expect(info.text).not.toContain('hunter2');
      const config = await h.call('GET', '/connectors/s1/config');
      expect(config.status).toBe(200);
      expect(config.body).toMatchObject({ name: 's1', 'api.password': '[hidden]', topic: 'counter' });
    });

    it("answers 404 for an unknown connector, with Connect's message", async () => {
      for (const [method, path] of [
        ['GET', '/connectors/nope'],
        ['GET', '/connectors/nope/config'],
        ['GET', '/connectors/nope/status'],
        ['GET', '/connectors/nope/tasks'],
        ['DELETE', '/connectors/nope'],
        ['PUT', '/connectors/nope/pause'],
        ['PUT', '/connectors/nope/resume'],
        ['PUT', '/connectors/nope/stop'],
        ['POST', '/connectors/nope/restart'],
        ['GET', '/connectors/nope/offsets'],
        ['GET', '/connectors/nope/topics'],
      ] as const) {
        const r = await h.call(method, path);
        expect([method, path, r.status, r.body]).toEqual([
          method,
          path,
          404,
          { error_code: 404, message: 'Connector nope not found' },
        ]);
      }
    });

    it('PUT …/config sends masked secrets back and keeps the stored value', async () => {
      const config = (await h.call('GET', '/connectors/s1/config')).body as Record<string, string>;
      const r = await h.call('PUT', '/connectors/s1/config', { ...config, topic: 'other' });
      expect(r.status).toBe(200);
      expect(h.herder.entries.get('s1')?.config).toMatchObject({ 'api.password': 'hunter2', topic: 'other' });
    });

    it('PUT …/config creates (201 + Location) or updates (200), and refuses a different name', async () => {
      const created = await h.call('PUT', '/connectors/s2/config', { 'connector.class': 'LogSink', topics: 'a' });
      expect(created.status).toBe(201);
      expect(created.headers.get('location')).toBe(`${h.url}/connectors/s2`);
      expect(created.body).toMatchObject({ name: 's2', type: 'sink', config: { name: 's2' } });
      const updated = await h.call('PUT', '/connectors/s2/config', {
        name: 's2',
        'connector.class': 'LogSink',
        topics: 'b',
      });
      expect(updated.status).toBe(200);
      const mismatch = await h.call('PUT', '/connectors/s2/config', {
        name: 'zz',
        'connector.class': 'LogSink',
        topics: 'b',
      });
      expect(mismatch.status).toBe(400);
      expect(mismatch.body).toEqual({
        error_code: 400,
        message: "Connector name configuration (zz) doesn't match connector name in the URL (s2)",
      });
      const secretless = await h.call('PUT', '/connectors/s3/config', {
        'connector.class': 'CounterSourceConnector',
        topic: 't',
        'api.password': '[hidden]',
      });
      expect(secretless.status).toBe(400);
      expect((secretless.body as { message: string }).message).toContain('api.password');
      expect((await h.call('PUT', '/connectors/s2/config', '{bad')).status).toBe(400);
      expect(
        (await h.call('PUT', '/connectors/s2/config', { 'connector.class': 'LogSink', topics: ['a'] })).status,
      ).toBe(400);
    });

    it('PATCH …/config merges, null removes, and the name cannot change', async () => {
      const r = await h.call('PATCH', '/connectors/s1/config', { 'interval.ms': 50, 'api.password': null });
      expect(r.status).toBe(200);
      expect((r.body as { config: Record<string, string> }).config).toMatchObject({ 'interval.ms': '50' });
      expect((r.body as { config: Record<string, string> }).config).not.toHaveProperty('api.password');
      expect((await h.call('PATCH', '/connectors/s1/config', { 'tasks.max': '0' })).status).toBe(400);
      expect((await h.call('PATCH', '/connectors/s1/config', { name: null })).body).toEqual({
        error_code: 400,
        message: 'Configuration key "name" cannot be removed',
      });
      expect((await h.call('PATCH', '/connectors/s1/config', { name: 'x' })).status).toBe(400);
      expect((await h.call('PATCH', '/connectors/nope/config', { topic: 'x' })).status).toBe(404);
      expect((await h.call('PATCH', '/connectors/s1/config', { topic: [1] })).status).toBe(400);
    });

    it('GET …/tasks and …/tasks/{id}/status', async () => {
      const tasks = await h.call('GET', '/connectors/s1/tasks');
      expect(tasks.status).toBe(200);
      expect((tasks.body as { id: unknown }[]).map((t) => t.id)).toEqual([
        { connector: 's1', task: 0 },
        { connector: 's1', task: 1 },
      ]);
      expect((await h.call('GET', '/connectors/s1/tasks/1/status')).body).toEqual({
        id: 1,
        state: 'RUNNING',
        worker_id: '127.0.0.1:8083',
      });
      const missing = await h.call('GET', '/connectors/s1/tasks/7/status');
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual({ error_code: 404, message: 'No status found for task s1-7' });
      expect((await h.call('GET', '/connectors/s1/tasks/abc/status')).status).toBe(404);
      expect((await h.call('GET', '/connectors/s1/tasks/-1/status')).status).toBe(404);
    });

    it('restart: 204 without flags, 202 + RESTARTING status with them, 400 for a bad flag', async () => {
      const plain = await h.call('POST', '/connectors/s1/restart');
      expect(plain.status).toBe(204);
      expect(plain.text).toBe('');
      const withTasks = await h.call('POST', '/connectors/s1/restart?includeTasks=true&onlyFailed=false');
      expect(withTasks.status).toBe(202);
      expect(withTasks.body).toMatchObject({
        connector: { state: 'RESTARTING' },
        tasks: [{ state: 'RESTARTING' }, { state: 'RESTARTING' }],
      });
      h.herder.entries.get('s1')?.failedTasks.add(1);
      const onlyFailed = await h.call('POST', '/connectors/s1/restart?includeTasks=true&onlyFailed=true');
      expect(onlyFailed.body).toMatchObject({
        connector: { state: 'RUNNING' },
        tasks: [{ state: 'RUNNING' }, { state: 'RESTARTING' }],
      });
      const bad = await h.call('POST', '/connectors/s1/restart?includeTasks=maybe');
      expect(bad.status).toBe(400);
      expect((bad.body as { message: string }).message).toContain('includeTasks');
      expect((await h.call('POST', '/connectors/s1/tasks/0/restart')).status).toBe(204);
      expect((await h.call('POST', '/connectors/s1/tasks/5/restart')).status).toBe(404);
    });

    it('pause 202, resume 202, stop 204', async () => {
      const pause = await h.call('PUT', '/connectors/s1/pause');
      expect([pause.status, pause.text]).toEqual([202, '']);
      expect((await h.call('GET', '/connectors/s1/status')).body).toMatchObject({ connector: { state: 'PAUSED' } });
      expect((await h.call('PUT', '/connectors/s1/resume')).status).toBe(202);
      expect((await h.call('GET', '/connectors/s1/status')).body).toMatchObject({ connector: { state: 'RUNNING' } });
      expect((await h.call('PUT', '/connectors/s1/stop')).status).toBe(204);
      expect((await h.call('GET', '/connectors/s1/status')).body).toEqual({
        name: 's1',
        connector: { state: 'STOPPED', worker_id: '127.0.0.1:8083' },
        tasks: [],
        type: 'source',
      });
    });

    it('topics and topics/reset', async () => {
      expect((await h.call('GET', '/connectors/s1/topics')).body).toEqual({ s1: { topics: ['counter'] } });
      expect((await h.call('PUT', '/connectors/s1/topics/reset')).status).toBe(202);
      expect((await h.call('GET', '/connectors/s1/topics')).body).toEqual({ s1: { topics: [] } });
    });

    it('offsets: GET any time; PATCH/DELETE only when STOPPED; malformed bodies are 400', async () => {
      expect((await h.call('GET', '/connectors/s1/offsets')).body).toEqual({ offsets: [] });
      const entry = { partition: { 'mqtt.topic.filter': 'a/#' }, offset: { seq: 5 } };
      const running = await h.call('PATCH', '/connectors/s1/offsets', { offsets: [entry] });
      expect(running.status).toBe(400);
      expect((running.body as { message: string }).message).toMatch(/STOPPED/);
      const empty = await h.call('PATCH', '/connectors/s1/offsets', { offsets: [] });
      expect(empty.body).toEqual({
        error_code: 400,
        message: 'Partitions / offsets need to be provided for an alter offsets request',
      });
      expect(
        (await h.call('PATCH', '/connectors/s1/offsets', { offsets: [{ partition: 'x', offset: {} }] })).body,
      ).toEqual({
        error_code: 400,
        message: 'offsets[0].partition must be a JSON object, not a string',
      });
      expect((await h.call('PATCH', '/connectors/s1/offsets', { offsets: [{ partition: {} }] })).status).toBe(400);
      expect((await h.call('PATCH', '/connectors/s1/offsets', '{"offsets":')).status).toBe(400);

      await h.call('PUT', '/connectors/s1/stop');
      const altered = await h.call('PATCH', '/connectors/s1/offsets', { offsets: [entry] });
      expect(altered.status).toBe(200);
      expect(altered.body).toEqual({ message: 'The offsets for this connector have been altered successfully' });
      expect((await h.call('GET', '/connectors/s1/offsets')).body).toEqual({ offsets: [entry] });
      const reset = await h.call('DELETE', '/connectors/s1/offsets');
      expect(reset.status).toBe(200);
      expect(reset.body).toEqual({ message: 'The offsets for this connector have been reset successfully' });
      expect((await h.call('GET', '/connectors/s1/offsets')).body).toEqual({ offsets: [] });
    });

    it('DELETE answers 204, then the connector is gone', async () => {
      const r = await h.call('DELETE', '/connectors/s1');
      expect([r.status, r.text]).toEqual([204, '']);
      expect((await h.call('GET', '/connectors/s1')).status).toBe(404);
      expect((await h.call('GET', '/connectors')).body).toEqual([]);
    });
  });
});
