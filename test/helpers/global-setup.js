// Starts the local stack once per test run (reusing one that is already up) and exports its endpoints to every
// test file through the environment. FERRY_KAFKA_BOOTSTRAP set by the caller means "use that stack as it is".
// It also notes the topics that exist before the run, so that global-teardown.js deletes only what the run created.
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const { listTopics, registerRun } = require('./topic-cleanup');

module.exports = async function globalSetup() {
  // Integration tests start real `ferry worker` processes from dist/: build it once per run.
  const root = path.join(__dirname, '..', '..');
  execFileSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')],
    {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  if (!(process.env.FERRY_KAFKA_BOOTSTRAP && process.env.FERRY_SCHEMA_REGISTRY_URL && process.env.FERRY_MQTT_URL)) {
    useLocalStack();
  }
  if (!process.env.FERRY_KEEP_TEST_TOPICS) {
    registerRun();
    globalThis.__ferryTopicsBeforeRun = new Set(await listTopics(process.env.FERRY_KAFKA_BOOTSTRAP));
  }
};

function useLocalStack() {
  const stack = path.join(__dirname, '..', '..', 'deploy', 'local', 'stack.sh');
  execFileSync('bash', [stack, 'up'], { stdio: ['ignore', 'inherit', 'inherit'] });
  const env = execFileSync('bash', [stack, 'env'], { encoding: 'utf8' });
  for (const line of env.split('\n')) {
    const m = /^export ([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) process.env[m[1]] = m[2];
  }
}
