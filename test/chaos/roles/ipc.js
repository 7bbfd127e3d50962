'use strict';
// The request/answer protocol every chaos role speaks with the harness over Node's IPC channel:
// the harness sends {id, op, ...args}, the role answers {id, ok: true, result} or {id, ok: false, error}.
// A role whose parent goes away exits at once, so a crashed harness never leaves publishers running.

/** Serves `handlers[op](msg)` (sync or async) for every request. */
function serve(handlers) {
  process.on('message', (msg) => {
    const handler = handlers[msg.op];
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown op ${msg.op}`);
        return handler(msg);
      })
      .then(
        (result) => process.connected && process.send({ id: msg.id, ok: true, result }),
        (err) => process.connected && process.send({ id: msg.id, ok: false, error: String(err && err.message) }),
      );
  });
  process.on('disconnect', () => process.exit(0));
}

/** The payload of message `seq` of device `key`: both travel in the payload, so any path keeps them. */
const encode = (key, seq) => `${key} ${seq}`;

/** [key, seq] from a payload, or undefined for anything that is not one of ours (warm-up messages, noise). */
function decode(text) {
  const m = /^(\S+) (\d+)$/.exec(text);
  return m ? [m[1], Number(m[2])] : undefined;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

module.exports = { serve, encode, decode, sleep };
