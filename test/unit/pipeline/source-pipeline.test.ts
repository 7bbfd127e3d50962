import { RecordError, TaskFailedError, errorTrace } from '../../../runtime/api';
import { createSinkPipeline, createSourcePipeline } from '../../../runtime/pipeline';
import { headerText, json, noDefaults, sourceRecord, testContext } from './helpers';

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
