import { ConfigError } from '../../../runtime/api';
import { KafkaGroupMembership, type KafkaGroupMembershipOptions } from '../../../runtime/cluster';

const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, child: () => silent };
const valid: KafkaGroupMembershipOptions = {
  bootstrapServers: '127.0.0.1:9092',
  groupId: 'g',
  workerId: '127.0.0.1:8083',
  units: () => [],
  logger: silent,
};

describe('KafkaGroupMembership (no broker needed)', () => {
  it('owns nothing and does not lead before it started; stop() before start() is a no-op', async () => {
    const m = new KafkaGroupMembership(valid);
    expect(m.generation()).toBe(0);
    expect(m.isLeader()).toBe(false);
    expect(m.ownsConnector('a')).toBe(false);
    expect(m.ownsTask('a', 0)).toBe(false);
    expect(m.status()).toMatchObject({ workerId: '127.0.0.1:8083', members: [], owned: [], leader: undefined });
    await m.stop();
    await m.stop();
  });

  it('rejects bad settings, naming every bad key', () => {
    let err: unknown;
    try {
      new KafkaGroupMembership({
        ...valid,
        groupId: '',
        sessionTimeoutMs: 3_000,
        heartbeatIntervalMs: 3_000,
        tokenPartitions: 0,
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues.map((i) => i.key).sort()).toEqual(
      ['group.id', 'heartbeat.interval.ms', 'token partitions'].sort(),
    );
  });
});
