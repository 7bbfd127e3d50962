// Topics a run leaves on the local broker pile up run after run: every integration test and bench run creates its
// own topics (and each worker cluster its internal ones, 25-50 partitions each), and a single-node broker with a
// modest heap that holds tens of thousands of partitions slows down and finally runs out of memory. The integration
// suite and the bench both delete what they created, through these two functions.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const Kafka = require('node-rdkafka');

/** The names of every topic on the cluster. */
async function listTopics(bootstrap) {
  const client = new Kafka.Producer({ 'bootstrap.servers': bootstrap, 'client.id': 'ferry-test-cleanup' });
  try {
    await new Promise((resolve, reject) =>
      client.connect({ timeout: 15000 }, (err) => (err ? reject(err) : resolve())),
    );
    const md = await new Promise((resolve, reject) =>
      client.getMetadata({ allTopics: true, timeout: 15000 }, (err, m) => (err ? reject(err) : resolve(m))),
    );
    return md.topics.map((t) => t.name);
  } finally {
    await new Promise((resolve) => client.disconnect(() => resolve()));
  }
}

/** Deletes the named topics, a few at a time, best effort (a topic already gone is fine); returns how many. */
async function deleteTopicsNamed(bootstrap, names) {
  if (names.length === 0) return 0;
  const admin = Kafka.AdminClient.create({ 'bootstrap.servers': bootstrap, 'client.id': 'ferry-test-admin' });
  try {
    for (let i = 0; i < names.length; i += 20) {
      const batch = names.slice(i, i + 20);
      await Promise.all(batch.map((t) => new Promise((resolve) => admin.deleteTopic(t, 15000, () => resolve()))));
    }
  } finally {
    admin.disconnect();
  }
  return names.length;
}

// Several test runs may share one local stack (two checkouts, or a developer's run beside a script's). A run deletes
// what it created only when no other run is still going, so it never pulls topics from under another run's tests.
const RUNS_DIR = path.join(os.tmpdir(), 'ferry-test-runs');

/** Notes that this process runs tests against the stack. */
function registerRun() {
  fs.mkdirSync(RUNS_DIR, { recursive: true });
  fs.writeFileSync(path.join(RUNS_DIR, String(process.pid)), '');
}

/** Forgets this run; returns whether another run (a live process) is still registered. */
function endRunAndCheckOthers() {
  fs.rmSync(path.join(RUNS_DIR, String(process.pid)), { force: true });
  let others = false;
  for (const name of fs.existsSync(RUNS_DIR) ? fs.readdirSync(RUNS_DIR) : []) {
    try {
      process.kill(Number(name), 0);
      others = true;
    } catch {
      fs.rmSync(path.join(RUNS_DIR, name), { force: true }); // a run that ended without its teardown
    }
  }
  return others;
}

module.exports = { listTopics, deleteTopicsNamed, registerRun, endRunAndCheckOthers };
