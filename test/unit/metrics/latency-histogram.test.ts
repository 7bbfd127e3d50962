import client from 'prom-client';
import { Metrics } from '../../../runtime/metrics';
import { LatencyHistogram } from '../../../runtime/metrics/latency-histogram';

const BUCKETS = [0.001, 0.01, 0.1, 1];

describe('LatencyHistogram', () => {
  it("exposes exactly what prom-client's Histogram exposes for the same observations", async () => {
    const ours = new client.Registry();
    const theirs = new client.Registry();
    const h = new LatencyHistogram('x_latency_seconds', 'help text', BUCKETS, ours);
    const ref = new client.Histogram({
      name: 'x_latency_seconds',
      help: 'help text',
      labelNames: ['connector', 'task'],
      buckets: BUCKETS,
      registers: [theirs],
    });
    const values = [0.0005, 0.001, 0.0011, 0.05, 0.1, 0.7, 3, 42];
    const a = h.observer({ connector: 'c1', task: '0' });
    const b = h.observer({ connector: 'c1', task: '1' });
    const again = h.observer({ task: '0', connector: 'c1' }); // same series, labels in another order
    values.forEach((v, i) => {
      (i % 3 === 0 ? again : a)(v);
      ref.observe({ connector: 'c1', task: '0' }, v);
      if (i < 3) {
        b(v * 2);
        ref.observe({ connector: 'c1', task: '1' }, v * 2);
      }
    });
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.metrics()).toContain('x_latency_seconds_bucket{le="0.001",connector="c1",task="0"} 2');

    h.remove({ connector: 'c1', task: '1' });
    ref.remove({ connector: 'c1', task: '1' });
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.metrics()).not.toContain('task="1"');
  });

  it("is the worker's record latency, and a deleted connector's series go with it", async () => {
    const m = new Metrics();
    m.forTask('c9', 2);
    m.recordLatency.observer({ connector: 'c9', task: '2' })(0.004);
    expect(await m.text()).toContain('ferry_task_record_latency_seconds_count{connector="c9",task="2"} 1');
    m.forgetConnector('c9');
    expect(await m.text()).not.toContain('connector="c9"');
  });
});
