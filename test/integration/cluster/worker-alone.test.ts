/**
 * A worker alone is a cluster of one: when its Kafka goes away for longer than the session timeout it gives its
 * tasks up (it cannot tell whether another worker took them), and it must run them again once Kafka is back.
 */
import {
  DedicatedService,
  eventually,
  freshCluster,
  rest,
  startWorker,
  uniqueId,
  type WorkerHandle,
} from '../../helpers';

jest.setTimeout(400_000);

describe('a single worker whose Kafka is away for longer than the session timeout', () => {
  let kafka: DedicatedService | undefined;
  let w: WorkerHandle | undefined;

  afterAll(async () => {
    await w?.kill();
    await kafka?.destroy();
  });

  it('runs its tasks again once Kafka is back', async () => {
    kafka = await DedicatedService.start('kafka');
    w = await startWorker(freshCluster('alone'), { env: { FERRY_KAFKA_BOOTSTRAP: kafka.url } });
    const name = uniqueId('count');
    const created = await rest(w.url, 'POST', '/connectors', {
      name,
      config: {
        'connector.class': 'CounterSource',
        'tasks.max': '2',
        'counter.tasks': '2',
        'counter.topic': uniqueId('alone-count'),
        'counter.batch': '1',
        'counter.interval.ms': '100',
      },
    });
    expect(created.status).toBe(201);
    const running = async (): Promise<boolean> => {
      const s = await rest(w!.url, 'GET', `/connectors/${name}/status`);
      return s.body?.tasks?.length === 2 && s.body.tasks.every((t: { state: string }) => t.state === 'RUNNING');
    };
    await eventually(running, { what: 'both tasks RUNNING', timeoutMs: 120_000 });

    const mark = w.output().length;
    await kafka.down();
    await new Promise((r) => setTimeout(r, 20_000)); // twice the session timeout
    await kafka.up();
    const upAt = Date.now();
    // Running again: started anew after Kafka returned (the log says so), and the status says RUNNING.
    await eventually(
      () => {
        const started = w!
          .output()
          .slice(mark)
          .split('\n')
          .filter((l) => l.includes('"msg":"task running"')).length;
        return started >= 2 ? running() : Promise.resolve(false);
      },
      { what: 'both tasks running again after Kafka returned', timeoutMs: 180_000 },
    );
    console.log(`a worker alone ran its tasks again ${Date.now() - upAt} ms after Kafka was back`);
  });
});
