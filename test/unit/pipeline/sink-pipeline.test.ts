import { RecordError, Schemas, TaskFailedError, UnavailableError } from '../../../runtime/api';
import { createSinkPipeline, type ConsumedRecord } from '../../../runtime/pipeline';
import { ErrorHandler } from '../../../runtime/pipeline/error-handler';
import { parseErrorPolicy } from '../../../runtime/pipeline/error-policy';
import { headerText, noDefaults, testContext } from './helpers';

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
