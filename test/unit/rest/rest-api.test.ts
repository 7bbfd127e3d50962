import { FerryError } from '../../../runtime/api';
import { RestHarness, source } from './harness';

describe('REST API', () => {
  let h: RestHarness;
  beforeEach(async () => {
    h = await new RestHarness().start();
  });
  afterEach(async () => {
    await h.stop();
  });

  describe('worker', () => {
    it('GET / answers the server info', async () => {
      const r = await h.call('GET', '/');
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ version: '0.1.0', commit: 'test', kafka_cluster_id: 'cluster-1' });
    });

    it('GET /health maps healthy/starting/unhealthy to 200/503/500', async () => {
      expect((await h.call('GET', '/health')).status).toBe(200);
      h.herder.healthInfo = { status: 'starting', message: 'Worker is still starting up.' };
      const starting = await h.call('GET', '/health');
      expect(starting.status).toBe(503);
      expect(starting.body).toEqual({ status: 'starting', message: 'Worker is still starting up.' });
      h.herder.healthInfo = { status: 'unhealthy', message: 'Kafka unreachable' };
      expect((await h.call('GET', '/health')).status).toBe(500);
    });

    it('unknown paths answer 404 and wrong methods 405, in the error shape', async () => {
      const r = await h.call('GET', '/nope');
      expect(r.status).toBe(404);
      expect(r.body).toEqual({ error_code: 404, message: 'HTTP 404 Not Found' });
      const m = await h.call('POST', '/connectors/x/status');
      expect(m.status).toBe(405);
      expect(m.body).toEqual({ error_code: 405, message: 'HTTP 405 Method Not Allowed' });
    });
  });

  describe('create', () => {
    it('POST /connectors answers 201, a Location and the ConnectorInfo', async () => {
      const r = await h.call('POST', '/connectors', source('s1'));
      expect(r.status).toBe(201);
      expect(r.headers.get('location')).toBe(`${h.url}/connectors/s1`);
      expect(r.body).toEqual({
        name: 's1',
        config: { 'connector.class': 'CounterSourceConnector', topic: 'counter', 'tasks.max': '2', name: 's1' },
        tasks: [
          { connector: 's1', task: 0 },
          { connector: 's1', task: 1 },
        ],
        type: 'source',
      });
      expect((await h.call('GET', '/connectors')).body).toEqual(['s1']);
    });

    it('coerces numbers and booleans to strings, as Connect does', async () => {
      const r = await h.call('POST', '/connectors', source('s1', { 'tasks.max': 1, 'fast.enabled': true }));
      expect(r.status).toBe(201);
      expect((r.body as { config: Record<string, string> }).config).toMatchObject({
        'tasks.max': '1',
        'fast.enabled': 'true',
      });
    });

    it('answers 409 for a taken name', async () => {
      await h.call('POST', '/connectors', source('s1'));
      const r = await h.call('POST', '/connectors', source('s1'));
      expect(r.status).toBe(409);
      expect(r.body).toEqual({ error_code: 409, message: 'Connector s1 already exists' });
    });

    it.each([
      ['malformed JSON', '{"name": "s1", "config": {', /^Malformed JSON in request body: /],
      ['an array', '[1,2]', /must be a connector creation request .* not an array/],
      ['a string', '"s1"', /not a string/],
      ['no body', undefined, /Request body is missing/],
      ['no name', { config: { 'connector.class': 'CounterSourceConnector' } }, /Field "name" is required/],
      ['an empty name', { name: ' ', config: {} }, /Field "name" must be a non-empty string/],
      ['no config', { name: 's1' }, /Field "config" is required/],
      ['a config that is a list', { name: 's1', config: ['a'] }, /Field "config" must be a JSON object/],
      [
        'an object value',
        source('s1', { topic: { a: 1 } }),
        /Configuration key "config.topic" must have a string value, not an object/,
      ],
      [
        'a null value',
        source('s1', { topic: null }),
        /Configuration key "config.topic" must have a string value, not null/,
      ],
      [
        'a name mismatch',
        { name: 's1', config: { name: 's2', 'connector.class': 'CounterSourceConnector', topic: 't' } },
        /Connector name configuration \(s2\) doesn't match connector name in the request \(s1\)/,
      ],
      [
        'an unknown initial_state',
        { ...source('s1'), initial_state: 'SLEEPING' },
        /initial_state.*RUNNING, PAUSED or STOPPED/,
      ],
      ['no connector class', { name: 's2', config: { 'tasks.max': '1' } }, /contains no connector type/],
      [
        'an unknown connector class',
        { name: 's2', config: { 'connector.class': 'Nope' } },
        /Failed to find any class .* Nope/,
      ],
    ])('answers 400 naming the problem for %s', async (_what, body, message) => {
      const r = await h.call('POST', '/connectors', body);
      expect(r.status).toBe(400);
      expect(r.body).toEqual({ error_code: 400, message: expect.stringMatching(message) });
    });

    it('answers 400 listing every invalid key', async () => {
      const r = await h.call('POST', '/connectors', source('s1', { 'tasks.max': 'x', mode: 'sideways', topic: '' }));
      expect(r.status).toBe(400);
      const message = (r.body as { message: string }).message;
      expect(message).toMatch(/^Connector configuration is invalid and contains the following 3 error\(s\)/);
      for (const key of ['tasks.max', 'mode', 'topic']) expect(message).toContain(`${key}: `);
    });

    it('honours initial_state (case-insensitive)', async () => {
      const r = await h.call('POST', '/connectors', { ...source('p1'), initial_state: 'paused' });
      expect(r.status).toBe(201);
      expect((await h.call('GET', '/connectors/p1/status')).body).toMatchObject({
        connector: { state: 'PAUSED' },
        tasks: [],
      });
    });
  });

  describe('plugins', () => {
    it('lists connector plugins, or all with connectorsOnly=false', async () => {
      expect((await h.call('GET', '/connector-plugins')).body).toEqual([
        { class: 'CounterSourceConnector', type: 'source', version: '1.2.3' },
        { class: 'io.ferry.test.LogSinkConnector', type: 'sink', version: '0.0.1' },
      ]);
      expect((await h.call('GET', '/connector-plugins?connectorsOnly=false')).body).toHaveLength(3);
      expect((await h.call('GET', '/connector-plugins?connectorsOnly=nah')).status).toBe(400);
    });

    it('GET …/config lists the keys; 404 for an unknown plugin', async () => {
      const r = await h.call('GET', '/connector-plugins/CounterSource/config');
      expect(r.status).toBe(200);
      expect((r.body as { name: string; type: string }[]).find((k) => k.name === 'interval.ms')).toMatchObject({
        type: 'INT',
        default_value: '1000',
      });
      expect((await h.call('GET', '/connector-plugins/Nope/config')).status).toBe(404);
    });

    it('PUT …/config/validate answers ConfigInfos even with errors', async () => {
      const r = await h.call('PUT', '/connector-plugins/CounterSourceConnector/config/validate', {
        'connector.class': 'CounterSourceConnector',
        name: 'v',
        'tasks.max': 'x',
        'api.password': 'hunter2',
      });
      expect(r.status).toBe(200);
      const body = r.body as {
        name: string;
        error_count: number;
        groups: string[];
        configs: { value: { name: string; value: string; errors: string[] } }[];
      };
      expect(body.name).toBe('CounterSourceConnector');
      expect(body.error_count).toBe(2);
      expect(body.groups).toContain('Common');
      const tasksMax = body.configs.find((c) => c.value.name === 'tasks.max');
      expect(tasksMax?.value.errors).toEqual(['Invalid value x for configuration tasks.max: Not a number of type INT']);
      expect(r.text).not.toContain('hunter2');
    });

    it('validate names a producer override that would break the delivery guarantee', async () => {
      const r = await h.call('PUT', '/connector-plugins/CounterSourceConnector/config/validate', {
        'connector.class': 'CounterSourceConnector',
        name: 'v',
        topic: 't',
        'producer.override.acks': '1',
      });
      expect(r.status).toBe(200);
      const body = r.body as { error_count: number; configs: { value: { name: string; errors: string[] } }[] };
      expect(body.error_count).toBe(1);
      const acks = body.configs.find((c) => c.value.name === 'producer.override.acks');
      expect(acks?.value.errors).toEqual([expect.stringMatching(/^must be all \(or -1\)/)]);
      const create = await h.call('POST', '/connectors', {
        name: 'weak-acks',
        config: { 'connector.class': 'CounterSourceConnector', topic: 't', 'producer.override.acks': '1' },
      });
      expect(create.status).toBe(400);
      expect((create.body as { message: string }).message).toMatch(/producer\.override\.acks: must be all/);
    });

    it('validate: 400 for an unknown plugin, a class mismatch or a malformed body', async () => {
      const unknown = await h.call('PUT', '/connector-plugins/Nope/config/validate', { name: 'v' });
      expect(unknown.status).toBe(400);
      expect((unknown.body as { message: string }).message).toMatch(/Nope/);
      const mismatch = await h.call('PUT', '/connector-plugins/CounterSourceConnector/config/validate', {
        'connector.class': 'LogSink',
      });
      expect(mismatch.body).toEqual({
        error_code: 400,
        message: 'Included connector type LogSink does not match request type CounterSourceConnector',
      });
      expect((await h.call('PUT', '/connector-plugins/CounterSourceConnector/config/validate', '{')).status).toBe(400);
      expect((await h.call('PUT', '/connector-plugins/CounterSourceConnector/config/validate', '[]')).status).toBe(400);
    });
  });

  describe('loggers', () => {
    it('lists, reads and sets levels', async () => {
      h.loggers.logger('ferry.connector.s1');
      const all = await h.call('GET', '/admin/loggers');
      expect(all.status).toBe(200);
      expect(all.body).toMatchObject({
        root: { level: 'DEBUG', last_modified: null },
        'ferry.connector.s1': { level: 'DEBUG', last_modified: null },
        'ferry.rest': { level: 'DEBUG', last_modified: null },
      });
      const set = await h.call('PUT', '/admin/loggers/ferry.connector', { level: 'warn' });
      expect(set.status).toBe(200);
      expect(set.body).toEqual(['ferry.connector', 'ferry.connector.s1']);
      const one = await h.call('GET', '/admin/loggers/ferry.connector.s1');
      expect(one.body).toMatchObject({ level: 'WARN', last_modified: expect.any(Number) });
      expect((await h.call('PUT', '/admin/loggers/ferry.rest?scope=cluster', { level: 'INFO' })).status).toBe(204);
      expect((await h.call('GET', '/admin/loggers/ferry.rest')).body).toMatchObject({ level: 'INFO' });
    });

    it('404 for an unknown logger, 400 for a missing or unknown level', async () => {
      expect((await h.call('GET', '/admin/loggers/nope')).body).toEqual({
        error_code: 404,
        message: 'Logger nope not found.',
      });
      expect((await h.call('PUT', '/admin/loggers/x', {})).body).toEqual({
        error_code: 400,
        message: "Desired 'level' parameter was not specified in request.",
      });
      expect((await h.call('PUT', '/admin/loggers/x', { level: 'LOUD' })).status).toBe(400);
      expect((await h.call('PUT', '/admin/loggers/x', 'level=DEBUG')).status).toBe(400);
    });
  });

  describe('errors', () => {
    it('maps herder error codes, and hides internal errors behind a generic 500', async () => {
      await h.call('POST', '/connectors', source('s1'));
      h.herder.failWith = new FerryError(
        'CONFLICT',
        'Cannot complete request because of a conflicting operation (e.g. worker rebalance)',
      );
      expect((await h.call('GET', '/connectors/s1')).status).toBe(409);
      h.herder.failWith = new TypeError('secret internals at /srv/x.js:12');
      const r = await h.call('GET', '/connectors/s1');
      expect(r.status).toBe(500);
      expect(r.body).toEqual({ error_code: 500, message: 'Internal server error; the worker log has the details' });
      expect(h.logText.join('')).toContain('secret internals');
      // The server survives and keeps answering.
      h.herder.failWith = undefined;
      expect((await h.call('GET', '/connectors/s1')).status).toBe(200);
    });

    it('answers 4xx, not 500, for a malformed path, an oversized body or an unknown charset', async () => {
      const path = await h.call('GET', '/connectors/%E0%A4%A');
      expect(path.status).toBe(400);
      expect((path.body as { message: string }).message).toMatch(/^Malformed percent-encoding in the request path/);
      const big = await h.call(
        'POST',
        '/connectors',
        JSON.stringify({ name: 'x', config: { a: 'x'.repeat(6_000_000) } }),
      );
      expect(big.body).toEqual({
        error_code: 413,
        message: 'Request body larger than 1048576 bytes (rest.max.body.bytes)',
      });
      const charset = await fetch(`${h.url}/connectors`, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=latin9' },
        body: '{}',
      });
      expect(charset.status).toBe(415);
    });

    it('logs requests at debug without bodies', async () => {
      await h.call('POST', '/connectors', source('s1', { 'api.password': 'hunter2' }));
      const log = h.logText.join('');
      expect(log).toContain('"path":"/connectors"');
      expect(log).not.toContain('hunter2');
    });
  });
});

describe('REST API timeouts and metrics', () => {
  it('answers 500 "Request timed out" when the herder takes too long', async () => {
    const h = await new RestHarness().start({ requestTimeoutMs: 50 });
    let release!: () => void;
    h.herder.block = new Promise<void>((resolve) => {
      release = resolve;
    });
    try {
      const r = await h.call('GET', '/connectors');
      expect(r.status).toBe(500);
      expect(r.body).toEqual({ error_code: 500, message: 'Request timed out' });
    } finally {
      release();
      await h.stop();
    }
  });

  it('serves /metrics only when given a source', async () => {
    const without = await new RestHarness().start();
    const withMetrics = await new RestHarness().start({ metrics: () => Promise.resolve('ferry_up 1\n') });
    try {
      expect((await without.call('GET', '/metrics')).status).toBe(404);
      const r = await withMetrics.call('GET', '/metrics');
      expect(r.status).toBe(200);
      expect(r.text).toBe('ferry_up 1\n');
      expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    } finally {
      await without.stop();
      await withMetrics.stop();
    }
  });
});
