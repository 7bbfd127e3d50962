// Deletes the topics this run created (see global-setup.js), so that `make test` run after run does not leave a
// growing pile of partitions on the local broker. FERRY_KEEP_TEST_TOPICS=1 keeps them for a look after a failure.
const { listTopics, deleteTopicsNamed, endRunAndCheckOthers } = require('./topic-cleanup');

module.exports = async function globalTeardown() {
  const before = globalThis.__ferryTopicsBeforeRun;
  const bootstrap = process.env.FERRY_KAFKA_BOOTSTRAP;
  if (!before || !bootstrap) return;
  if (endRunAndCheckOthers()) {
    process.stderr.write(`[ferry-test] another test run still uses the stack: this run's topics stay\n`);
    return;
  }
  try {
    // Kafka's own topics (__consumer_offsets, __transaction_state) and the registry's stay whatever created them.
    const created = (await listTopics(bootstrap)).filter(
      (t) => !before.has(t) && !t.startsWith('__') && t !== '_schemas',
    );
    const n = await deleteTopicsNamed(bootstrap, created);
    if (n > 0) process.stderr.write(`[ferry-test] deleted the ${n} topics this run created\n`);
  } catch (err) {
    process.stderr.write(`[ferry-test] could not delete this run's topics: ${err.message}\n`);
  }
};
