import {
  RecordError,
  SchemaBuilder,
  Schemas,
  TaskFailedError,
  UnavailableError,
  errorTrace,
  type SourceRecord,
} from '../../../runtime/api';
import {
  createSinkPipeline,
  createSourcePipeline,
  pipelineConfigKeys,
  pipelinePlugins,
  validatePipelineConfig,
  type ConsumedRecord,
} from '../../../runtime/pipeline';
import { ErrorHandler } from '../../../runtime/pipeline/error-handler';
import { parseErrorPolicy } from '../../../runtime/pipeline/error-policy';
import { headerText, testContext } from './helpers';

const json = { 'key.converter': 'string', 'value.converter': 'json', 'value.converter.schemas.enable': 'false' };
const noDefaults = {};

function sourceRecord(changes: Partial<SourceRecord> = {}): SourceRecord {
  return {
    topic: 'factory.press7',
    key: 'press7',
    value: { temp: 21.5 },
    headers: [{ key: 'mqtt.topic', value: 'factory/press7' }],
    sourcePartition: { filter: 'factory/#' },
    sourceOffset: {},
    originalBytes: Buffer.from('{"temp":21.5}'),
    timestamp: 1_700_000_000_000,
    ...changes,
  };
}

describe('source pipeline', () => {
  it('transforms then converts a record', async () => {
    const { ctx } = testContext();
    const p = await createSourcePipeline(
      {
        ...json,
        transforms: 'route',
        'transforms.route.type': 'RegexRouter',
        'transforms.route.regex': 'factory\\.(.*)',
        'transforms.route.replacement': 'm-$1',
      },
      noDefaults,
      ctx,
    );
    const out = await p.process(sourceRecord());
    expect(out).toEqual({
      topic: 'm-press7',
      key: Buffer.from('press7'),
      value: Buffer.from('{"temp":21.5}'),
      // The default (string) header converter hands text to the producer, which writes its UTF-8 bytes.
      headers: [{ key: 'mqtt.topic', value: 'factory/press7' }],
      timestamp: 1_700_000_000_000,
    });
    await p.close();
  });

  it('gives the producer scalar headers as text and bytes or structures as the converter bytes', async () => {
    const { ctx } = testContext();
    const p = await createSourcePipeline(json, noDefaults, ctx);
    const out = await p.process(
      sourceRecord({
        headers: [
          { key: 's', value: 'ü' },
          { key: 'n', value: 42 },
          { key: 'b', value: false },
          { key: 'big', value: 2n ** 70n },
          { key: 'null', value: null },
          { key: 'bytes', value: Buffer.from([0xc3, 0xa9, 0x01]) },
          { key: 'obj', value: { a: 1 } },
        ],
      }),
    );
    expect(out?.headers).toEqual([
      { key: 's', value: 'ü' },
      { key: 'n', value: '42' },
      { key: 'b', value: 'false' },
      { key: 'big', value: '1180591620717411303424' },
      { key: 'null', value: null },
      { key: 'bytes', value: Buffer.from([0xc3, 0xa9, 0x01]) },
      { key: 'obj', value: Buffer.from('{"a":1}') },
    ]);
    // Another encoding than UTF-8 keeps every value on the converter's byte path.
    const latin = await createSourcePipeline(
      { ...json, 'header.converter': 'string', 'header.converter.converter.encoding': 'latin1' },
      noDefaults,
      ctx,
    );
    const l = await latin.process(sourceRecord({ headers: [{ key: 's', value: 'u' }] }));
    expect(l?.headers).toEqual([{ key: 's', value: Buffer.from('u', 'latin1') }]);
    await p.close();
    await latin.close();
  });

  it('refuses header bytes the Kafka client would alter, naming the header, and dead-letters them readable', async () => {
    // Kafka's Node client writes header values as text: bytes that are not UTF-8, or hold a zero, would change.
    for (const bytes of [Buffer.from([0xfc]), Buffer.from([0x61, 0x00, 0x62])]) {
      const { ctx } = testContext();
      const p = await createSourcePipeline(json, noDefaults, ctx);
      const err = await Promise.resolve()
        .then(() => p.process(sourceRecord({ headers: [{ key: 'corr', value: bytes }] })))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TaskFailedError);
      expect(errorTrace(err)).toMatch(/header corr: its \d+ bytes are not UTF-8 text/);
    }
    // A converter producing such bytes (latin1 text) fails the same way, at the HEADER_CONVERTER stage.
    const { ctx, deadLetters, counts } = testContext();
    const latin = await createSourcePipeline(
      {
        ...json,
        'header.converter': 'string',
        'header.converter.converter.encoding': 'latin1',
        'errors.tolerance': 'all',
        'errors.deadletterqueue.topic.name': 'dlq',
      },
      noDefaults,
      ctx,
    );
    expect(
      await latin.process(
        sourceRecord({
          headers: [
            { key: 's', value: 'ü' },
            { key: 'b', value: Buffer.from([0xff, 0]) },
          ],
        }),
      ),
    ).toBeNull();
    expect(counts).toEqual(['failed:HEADER_CONVERTER', 'dead_lettered:HEADER_CONVERTER']);
    // The dead letter keeps every header, the binary one as base64 text under its key + .base64.
    expect(deadLetters[0]?.headers.slice(0, 2)).toEqual([
      { key: 's', value: Buffer.from('ü') },
      { key: 'b.base64', value: Buffer.from(Buffer.from([0xff, 0]).toString('base64')) },
    ]);
    await latin.close();
  });

  it('counts records a transform filters out', async () => {
    const { ctx, counts } = testContext();
    const p = await createSourcePipeline({ ...json, transforms: 'f', 'transforms.f.type': 'Filter' }, noDefaults, ctx);
    expect(await p.process(sourceRecord())).toBeNull();
    expect(counts).toEqual(['filtered']);
  });

  it('with tolerance none a failing record fails the task and nothing is dead-lettered', async () => {
    const { ctx, deadLetters } = testContext();
    const p = await createSourcePipeline(
      { ...json, 'value.converter': 'bytes', 'errors.deadletterqueue.topic.name': 'dlq' },
      noDefaults,
      ctx,
    );
    await expect(p.process(sourceRecord())).rejects.toBeInstanceOf(TaskFailedError);
    expect(deadLetters).toEqual([]);
  });

  it('with tolerance all writes the original bytes to the DLQ with context headers', async () => {
    const { ctx, deadLetters, counts } = testContext();
    const p = await createSourcePipeline(
      {
        ...json,
        'value.converter': 'org.apache.kafka.connect.converters.ByteArrayConverter',
        'errors.tolerance': 'all',
        'errors.deadletterqueue.topic.name': 'dlq',
        'errors.deadletterqueue.context.headers.enable': 'true',
      },
      noDefaults,
      ctx,
    );
    expect(await p.process(sourceRecord())).toBeNull();
    expect(deadLetters).toHaveLength(1);
    const d = deadLetters[0]!;
    expect(d.topic).toBe('dlq');
    expect(d.key).toEqual(Buffer.from('press7'));
    expect(d.value).toEqual(Buffer.from('{"temp":21.5}'));
    expect(headerText(d, 'mqtt.topic')).toBe('factory/press7');
    expect(headerText(d, '__connect.errors.topic')).toBe('factory.press7');
    expect(headerText(d, '__connect.errors.connector.name')).toBe('c1');
    expect(headerText(d, '__connect.errors.task.id')).toBe('3');
    expect(headerText(d, '__connect.errors.stage')).toBe('VALUE_CONVERTER');
    expect(headerText(d, '__connect.errors.class.name')).toBe('org.apache.kafka.connect.converters.ByteArrayConverter');
    expect(headerText(d, '__connect.errors.exception.class.name')).toBe('RecordError');
    expect(headerText(d, '__connect.errors.exception.message')).toMatch(/ByteArrayConverter needs bytes/);
    expect(headerText(d, '__connect.errors.exception.stacktrace')).toMatch(/RecordError/);
    expect(counts).toEqual(['failed:VALUE_CONVERTER', 'dead_lettered:VALUE_CONVERTER']);
  });

  it('applies the error policy to a record its task marked failed, and dead-letters it with the reason', async () => {
    const { ctx, deadLetters, counts } = testContext();
    const p = await createSourcePipeline(
      { ...json, 'errors.tolerance': 'all', 'errors.deadletterqueue.topic.name': 'dlq' },
      noDefaults,
      ctx,
    );
    const failure = new RecordError('payload is not JSON');
    expect(await p.process(sourceRecord({ value: Buffer.from('{oops'), failure }))).toBeNull();
    expect(counts).toEqual(['failed:TASK_POLL', 'dead_lettered:TASK_POLL']);
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]!.value).toEqual(Buffer.from('{"temp":21.5}'));
    expect(headerText(deadLetters[0]!, 'mqtt.topic')).toBe('factory/press7');
    expect(headerText(deadLetters[0]!, '__ferry.error')).toBe('payload is not JSON');
  });

  it('writes a header from the source named like the dead-letter reason header as an ordinary header', async () => {
    // Issue #21: an MQTT 5 user property "__ferry.error" used to mark its record failed and, by default, the task.
    const { ctx, deadLetters, counts } = testContext();
    const p = await createSourcePipeline({ ...json, 'errors.deadletterqueue.topic.name': 'dlq' }, noDefaults, ctx);
    const headers = [
      { key: 'mqtt.topic', value: 'factory/press7' },
      { key: '__ferry.error', value: 'from a publisher' },
    ];
    const out = await p.process(sourceRecord({ headers }));
    expect(out?.headers).toEqual([
      { key: 'mqtt.topic', value: 'factory/press7' },
      { key: '__ferry.error', value: 'from a publisher' },
    ]);
    expect(deadLetters).toEqual([]);
    expect(counts).toEqual([]);
  });

  it('dead-letters transform failures with the transform class as context', async () => {
    const { ctx, deadLetters } = testContext();
    const p = await createSourcePipeline(
      {
        ...json,
        transforms: 'cast',
        'transforms.cast.type': 'Cast$Value',
        'transforms.cast.spec': 'temp:boolean,x:int8',
        'errors.tolerance': 'all',
        'errors.deadletterqueue.topic.name': 'dlq',
        'errors.deadletterqueue.context.headers.enable': 'true',
      },
      noDefaults,
      ctx,
    );
    expect(await p.process(sourceRecord({ value: { temp: 1, x: 'no' } }))).toBeNull();
    expect(headerText(deadLetters[0]!, '__connect.errors.stage')).toBe('TRANSFORMATION');
    expect(headerText(deadLetters[0]!, '__connect.errors.class.name')).toBe(
      'org.apache.kafka.connect.transforms.Cast$Value',
    );
  });

  it('without a DLQ a tolerated failure is counted and logged, payload only when asked', async () => {
    const { ctx, counts, lines } = testContext();
    const p = await createSourcePipeline(
      { ...json, 'value.converter': 'bytes', 'errors.tolerance': 'all' },
      noDefaults,
      ctx,
    );
    expect(await p.process(sourceRecord())).toBeNull();
    expect(counts).toEqual(['failed:VALUE_CONVERTER', 'skipped:VALUE_CONVERTER']);
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    expect(JSON.stringify(lines)).not.toContain('21.5');

    // Parse errors do not echo the payload into the log either.
    const sink = testContext();
    const sp = await createSinkPipeline(
      { 'value.converter': 'json', 'errors.tolerance': 'all', 'errors.log.enable': 'true' },
      noDefaults,
      sink.ctx,
    );
    await sp.process({
      topic: 't',
      partition: 0,
      offset: 1,
      key: null,
      value: Buffer.from('{"pin": 4711 oops'),
      headers: [],
    });
    expect(sink.lines.some((l) => l.level === 'error')).toBe(true);
    expect(JSON.stringify(sink.lines)).not.toContain('4711');

    const logged = testContext();
    const p2 = await createSourcePipeline(
      {
        ...json,
        'value.converter': 'bytes',
        'errors.tolerance': 'all',
        'errors.log.enable': 'true',
        'errors.log.include.messages': 'true',
      },
      noDefaults,
      logged.ctx,
    );
    await p2.process(sourceRecord());
    const errorLine = logged.lines.find((l) => l.level === 'error');
    expect(errorLine?.obj).toMatchObject({ stage: 'VALUE_CONVERTER', topic: 'factory.press7', value: '{"temp":21.5}' });
  });

  it('dead-letters a record whose value JSON cannot even write', async () => {
    const { ctx, deadLetters } = testContext();
    const p = await createSourcePipeline(
      { ...json, 'errors.tolerance': 'all', 'errors.deadletterqueue.topic.name': 'dlq' },
      noDefaults,
      ctx,
    );
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = cyclic;
    expect(await p.process(sourceRecord({ value: cyclic, originalBytes: undefined }))).toBeNull();
    expect(deadLetters[0]?.value).toEqual(Buffer.from('[object Object]'));
  });

  it('a DLQ write that fails fails the task (the record stays unacknowledged)', async () => {
    const { ctx } = testContext({ deadLetterFails: true });
    const p = await createSourcePipeline(
      { ...json, 'value.converter': 'bytes', 'errors.tolerance': 'all', 'errors.deadletterqueue.topic.name': 'dlq' },
      noDefaults,
      ctx,
    );
    await expect(p.process(sourceRecord())).rejects.toThrow(/dead-letter topic 'dlq'/);
  });

  it('refuses to build with a bad config, naming every key', async () => {
    const { ctx } = testContext();
    await expect(
      createSourcePipeline({ ...json, 'errors.tolerance': 'some', 'value.converter': 'xml' }, noDefaults, ctx),
    ).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      issues: expect.arrayContaining([
        expect.objectContaining({ key: 'errors.tolerance' }),
        expect.objectContaining({ key: 'value.converter' }),
      ]),
    });
  });
});

describe('sink pipeline', () => {
  const consumed: ConsumedRecord = {
    topic: 'in',
    partition: 1,
    offset: 99,
    key: Buffer.from('k'),
    value: Buffer.from('{"schema":{"type":"int32","optional":false},"payload":7}'),
    headers: [{ key: 'h', value: Buffer.from('v') }],
    timestamp: 5,
  };

  it('converts then transforms a consumed record', async () => {
    const { ctx } = testContext();
    const p = await createSinkPipeline(
      {
        'key.converter': 'string',
        'value.converter': 'json',
        transforms: 'h',
        'transforms.h.type': 'HoistField$Value',
        'transforms.h.field': 'n',
      },
      noDefaults,
      ctx,
    );
    const r = await p.process(consumed);
    expect(r).toMatchObject({
      topic: 'in',
      kafkaPartition: 1,
      kafkaOffset: 99,
      key: 'k',
      value: { n: 7 },
      timestamp: 5,
      rawValue: consumed.value,
    });
    expect(r?.valueSchema?.fields?.[0]?.schema).toMatchObject({ type: 'int32' });
    expect(r?.headers).toEqual([{ key: 'h', value: 'v', schema: Schemas.OPTIONAL_STRING }]);
  });

  it('dead-letters the consumed bytes of a record that fails conversion, and of a rejected record', async () => {
    const { ctx, deadLetters } = testContext();
    const p = await createSinkPipeline(
      {
        'connector.class': 'MqttSinkConnector',
        'value.converter': 'json',
        'errors.tolerance': 'all',
        'errors.deadletterqueue.topic.name': 'dlq',
        'errors.deadletterqueue.context.headers.enable': 'true',
      },
      noDefaults,
      ctx,
    );
    expect(await p.process({ ...consumed, value: Buffer.from('not json') })).toBeNull();
    const d = deadLetters[0]!;
    expect(d.value).toEqual(Buffer.from('not json'));
    expect(d.key).toEqual(Buffer.from('k'));
    expect(headerText(d, 'h')).toBe('v');
    expect(headerText(d, '__connect.errors.topic')).toBe('in');
    expect(headerText(d, '__connect.errors.partition')).toBe('1');
    expect(headerText(d, '__connect.errors.offset')).toBe('99');
    expect(headerText(d, '__connect.errors.stage')).toBe('VALUE_CONVERTER');

    const ok = await p.process(consumed);
    await p.reject(ok!, new RecordError('cannot render topic'));
    const r = deadLetters[1]!;
    expect(r.value).toEqual(consumed.value);
    expect(headerText(r, '__connect.errors.stage')).toBe('TASK_PUT');
    expect(headerText(r, '__connect.errors.class.name')).toBe('MqttSinkConnector');
    expect(headerText(r, '__connect.errors.exception.message')).toBe('cannot render topic');
  });

  it('dead-letters what was consumed when the task rejects a record a transform changed', async () => {
    const { ctx, deadLetters } = testContext();
    const p = await createSinkPipeline(
      {
        'connector.class': 'MqttSinkConnector',
        'value.converter': 'json',
        transforms: 'route,tag',
        'transforms.route.type': 'RegexRouter',
        'transforms.route.regex': '.*',
        'transforms.route.replacement': 'renamed',
        'transforms.tag.type': 'InsertHeader',
        'transforms.tag.header': 'added',
        'transforms.tag.value.literal': 'x',
        'errors.tolerance': 'all',
        'errors.deadletterqueue.topic.name': 'dlq',
        'errors.deadletterqueue.context.headers.enable': 'true',
      },
      noDefaults,
      ctx,
    );
    const ok = await p.process(consumed);
    expect(ok?.topic).toBe('renamed');
    await p.reject(ok!, new RecordError('cannot publish'));
    const d = deadLetters[0]!;
    expect(d.key).toEqual(consumed.key);
    expect(d.value).toEqual(consumed.value);
    expect(d.timestamp).toBe(5);
    // The consumed headers as they were (not the transformed ones), and the topic the record was read from.
    expect(d.headers.filter((h) => !h.key.startsWith('__connect.'))).toEqual(consumed.headers);
    expect(headerText(d, '__connect.errors.topic')).toBe('in');
    expect(headerText(d, '__connect.errors.partition')).toBe('1');
    expect(headerText(d, '__connect.errors.offset')).toBe('99');
  });

  it('dead-letters binary headers another producer wrote as base64 text, which the Kafka client keeps intact', async () => {
    const { ctx, deadLetters } = testContext();
    const p = await createSinkPipeline(
      { 'value.converter': 'json', 'errors.tolerance': 'all', 'errors.deadletterqueue.topic.name': 'dlq' },
      noDefaults,
      ctx,
    );
    const binary = Buffer.from([0xca, 0xfe, 0x00]);
    const headers = [...consumed.headers, { key: 'trace', value: binary }];
    expect(await p.process({ ...consumed, headers, value: Buffer.from('not json') })).toBeNull();
    const d = deadLetters[0]!;
    expect(headerText(d, 'h')).toBe('v');
    expect(d.headers.find((h) => h.key === 'trace')).toBeUndefined();
    expect(Buffer.from(headerText(d, 'trace.base64') ?? '', 'base64')).toEqual(binary);
  });

  it('rejects with tolerance none by failing the task', async () => {
    const { ctx } = testContext();
    const p = await createSinkPipeline({ 'value.converter': 'json' }, noDefaults, ctx);
    const ok = await p.process(consumed);
    await expect(p.reject(ok!, new RecordError('x'))).rejects.toBeInstanceOf(TaskFailedError);
  });
});

describe('retries', () => {
  const policy = (raw: Record<string, string>) => parseErrorPolicy(raw).policy;

  it('retries a retriable failure with back-off until it succeeds', async () => {
    const { ctx, counts } = testContext();
    const h = new ErrorHandler(policy({ 'errors.retry.timeout': '10000', 'errors.retry.delay.max.ms': '5' }), ctx);
    let calls = 0;
    const result = await h.run('VALUE_CONVERTER', 'X', () => {
      calls++;
      if (calls < 3) throw new UnavailableError('registry down');
      return Buffer.from('ok');
    });
    expect(result).toEqual(Buffer.from('ok'));
    expect(calls).toBe(3);
    expect(counts).toEqual(['retried:VALUE_CONVERTER', 'retried:VALUE_CONVERTER']);
  });

  it('does not retry without a timeout, nor non-retriable errors', async () => {
    const { ctx } = testContext();
    let calls = 0;
    const h = new ErrorHandler(policy({}), ctx);
    await expect(
      Promise.resolve(
        h.run('VALUE_CONVERTER', 'X', () => {
          calls++;
          throw new UnavailableError('down');
        }),
      ),
    ).rejects.toMatchObject({ name: 'StageFailure', stage: 'VALUE_CONVERTER' });
    const h2 = new ErrorHandler(policy({ 'errors.retry.timeout': '-1' }), ctx);
    await expect(
      Promise.resolve(
        h2.run('KEY_CONVERTER', 'X', () => {
          calls++;
          throw new RecordError('bad');
        }),
      ),
    ).rejects.toMatchObject({ name: 'StageFailure' });
    expect(calls).toBe(2);
  });

  it('stops retrying forever once the task stops', async () => {
    const abort = new AbortController();
    const { ctx } = testContext({ signal: abort.signal });
    const h = new ErrorHandler(policy({ 'errors.retry.timeout': '-1', 'errors.retry.delay.max.ms': '2' }), ctx);
    let calls = 0;
    const p = Promise.resolve(
      h.run('VALUE_CONVERTER', 'X', () => {
        if (++calls === 3) abort.abort();
        throw new UnavailableError('down');
      }),
    );
    await expect(p).rejects.toBeInstanceOf(UnavailableError);
  });
  it('never tolerates an outage: exhausted retries fail the task even with tolerance all', async () => {
    const { ctx, deadLetters } = testContext();
    const h = new ErrorHandler(
      policy({
        'errors.tolerance': 'all',
        'errors.deadletterqueue.topic.name': 'dlq',
        'errors.retry.timeout': '20',
        'errors.retry.delay.max.ms': '5',
      }),
      ctx,
    );
    const failure = await Promise.resolve(
      h.run('VALUE_CONVERTER', 'io.confluent.connect.avro.AvroConverter', () => {
        throw new UnavailableError('schema registry unreachable');
      }),
    ).catch((e: unknown) => e);
    await expect(
      h.fail(failure, { topic: 't', deadLetter: () => ({ key: null, value: null, headers: [] }) }),
    ).rejects.toThrow(/outages are never tolerated/);
    expect(deadLetters).toEqual([]);
  });
});

describe('configuration', () => {
  it('validates converters, transforms and errors keys naming each key', () => {
    const issues = validatePipelineConfig(
      {
        'value.converter': 'Foo',
        'header.converter': 'avro',
        transforms: 'route,x',
        'transforms.route.type': 'RegexRouter',
        'transforms.route.regex': '[',
        'transforms.route.replacement': '',
        'transforms.x.type': 'Foo',
        'errors.retry.timeout': '-5',
        'errors.deadletterqueue.topic.name': 'bad topic',
      },
      {},
    );
    const keys = issues.map((i) => i.key);
    expect(keys).toEqual(
      expect.arrayContaining([
        'value.converter',
        'header.converter',
        'transforms.route.regex',
        'transforms.x.type',
        'errors.retry.timeout',
        'errors.deadletterqueue.topic.name',
      ]),
    );
    expect(issues.find((i) => i.key === 'transforms.x.type')?.message).toBe("unknown transformation 'Foo'");
    expect(issues.find((i) => i.key === 'value.converter')?.message).toMatch(/^unknown converter 'Foo'/);
  });

  it('defaults to string keys and Avro values that need the worker registry URL', () => {
    expect(validatePipelineConfig({}, {})).toEqual([
      { key: 'value.converter.schema.registry.url', message: 'required by the Avro converter' },
    ]);
    expect(validatePipelineConfig({}, { 'value.converter.schema.registry.url': 'http://127.0.0.1:8081' })).toEqual([]);
    // The worker's registry URL serves a connector that switches its keys to Avro; other converters ignore it.
    expect(
      validatePipelineConfig(
        { 'key.converter': 'avro', 'value.converter': 'json' },
        { 'key.converter.schema.registry.url': 'http://127.0.0.1:8081' },
      ),
    ).toEqual([]);
    expect(
      validatePipelineConfig(
        { 'value.converter': 'json' },
        { 'value.converter': 'avro', 'value.converter.schema.registry.url': 'x' },
      ),
    ).toEqual([]);
    expect(
      validatePipelineConfig(
        { 'value.converter': 'io.confluent.connect.avro.AvroConverter' },
        { 'value.converter': 'json' },
      ),
    ).toEqual([{ key: 'value.converter.schema.registry.url', message: 'required by the Avro converter' }]);
  });

  it('describes common, transform, predicate and converter keys with Connect groups', () => {
    const keys = pipelineConfigKeys({
      transforms: 'route',
      'transforms.route.type': 'RegexRouter',
      predicates: 'p',
      'predicates.p.type': 'TopicNameMatches',
      'value.converter': 'avro',
    });
    const byKey = new Map(keys.map((k) => [k.key, k]));
    for (const k of [
      'key.converter',
      'value.converter',
      'header.converter',
      'transforms',
      'predicates',
      'errors.retry.timeout',
      'errors.retry.delay.max.ms',
      'errors.tolerance',
      'errors.log.enable',
      'errors.log.include.messages',
      'errors.deadletterqueue.topic.name',
      'errors.deadletterqueue.topic.replication.factor',
      'errors.deadletterqueue.context.headers.enable',
      'transforms.route.type',
      'transforms.route.predicate',
      'transforms.route.negate',
      'transforms.route.regex',
      'transforms.route.replacement',
      'predicates.p.type',
      'predicates.p.pattern',
    ]) {
      expect(byKey.has(k)).toBe(true);
    }
    expect(byKey.get('errors.tolerance')?.group).toBe('Error Handling');
    expect(byKey.get('key.converter')?.group).toBe('Common');
    expect(byKey.get('transforms')?.group).toBe('Transforms');
    expect(byKey.get('predicates')?.group).toBe('Predicates');
    expect(byKey.get('value.converter.basic.auth.user.info')?.property['x-secret']).toBe(true);
    // A secret given for the worker's default converter is known as a secret too.
    const implicit = pipelineConfigKeys({ 'key.converter.basic.auth.user.info': 'u:p' });
    expect(implicit.find((k) => k.key === 'key.converter.basic.auth.user.info')?.property['x-secret']).toBe(true);
  });

  it('lists every plugin with Connect class names', () => {
    const plugins = pipelinePlugins();
    const has = (cls: string, type: string) => plugins.some((p) => p.class === cls && p.type === type);
    expect(has('org.apache.kafka.connect.transforms.RegexRouter', 'transformation')).toBe(true);
    expect(has('org.apache.kafka.connect.transforms.InsertField$Value', 'transformation')).toBe(true);
    expect(has('org.apache.kafka.connect.transforms.predicates.RecordIsTombstone', 'predicate')).toBe(true);
    expect(has('io.confluent.connect.avro.AvroConverter', 'converter')).toBe(true);
    expect(has('org.apache.kafka.connect.storage.SimpleHeaderConverter', 'header_converter')).toBe(true);
    expect(plugins.filter((p) => p.type === 'transformation')).toHaveLength(24);
  });

  it('uses struct schemas through the pipeline with the JSON envelope', async () => {
    const { ctx } = testContext();
    const p = await createSourcePipeline({ 'value.converter': 'json' }, noDefaults, ctx);
    const s = SchemaBuilder.struct().field('a', Schemas.INT32).build();
    const out = await p.process(sourceRecord({ valueSchema: s, value: { a: 1 }, headers: [] }));
    expect(JSON.parse(out?.value?.toString() ?? '')).toEqual({
      schema: { type: 'struct', fields: [{ type: 'int32', optional: false, field: 'a' }], optional: false },
      payload: { a: 1 },
    });
  });
});

describe('secrets', () => {
  it('never puts registry credentials into errors (DLQ stack traces) or log lines', async () => {
    const secret = 's3cr3t-pw';
    const variants: Record<string, string>[] = [
      {
        'value.converter.schema.registry.url': 'http://127.0.0.1:9/apis/ccompat/v7',
        'value.converter.basic.auth.user.info': `ferry:${secret}`,
      },
      {
        'value.converter.schema.registry.url': `http://ferry:${secret}@127.0.0.1:9/apis/ccompat/v7`,
        'value.converter.basic.auth.credentials.source': 'URL',
      },
    ];
    for (const settings of variants) {
      const { ctx, lines } = testContext();
      const p = await createSourcePipeline(
        { 'value.converter': 'avro', ...settings, 'errors.log.enable': 'true', 'errors.log.include.messages': 'true' },
        noDefaults,
        ctx,
      );
      const err = await Promise.resolve()
        .then(() => p.process(sourceRecord({ valueSchema: Schemas.STRING, value: 'x' })))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TaskFailedError);
      expect(errorTrace(err)).toMatch(/unreachable/);
      expect(errorTrace(err)).not.toContain(secret);
      expect(lines.length).toBeGreaterThan(0);
      expect(JSON.stringify(lines)).not.toContain(secret);
    }
  });
});
