import { SchemaBuilder, Schemas, TaskFailedError, errorTrace } from '../../../runtime/api';
import {
  createSourcePipeline,
  pipelineConfigKeys,
  pipelinePlugins,
  validatePipelineConfig,
} from '../../../runtime/pipeline';
import { noDefaults, sourceRecord, testContext } from './helpers';

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
