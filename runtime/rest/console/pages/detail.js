// One connector: its state and actions, throughput, tasks with their workers and traces, config (secrets as the API
// masks them), offsets and topics.
import { call, enc, get, metricsText } from '../api.js';
import { confirmAction, fmt, h, notice, sparkline, stateBadge } from '../dom.js';

const ACTIONS = [
  // label, id, method, path suffix, confirmation, shown when
  [
    'Pause',
    'pause',
    'PUT',
    '/pause',
    'Pause {n}? Its tasks stop processing until it is resumed.',
    (s) => s === 'RUNNING',
  ],
  ['Resume', 'resume', 'PUT', '/resume', 'Resume {n}?', (s) => s === 'PAUSED' || s === 'STOPPED'],
  [
    'Restart',
    'restart',
    'POST',
    '/restart?includeTasks=true',
    'Restart {n} and all its tasks?',
    (s) => s !== 'STOPPED',
  ],
  [
    'Stop',
    'stop',
    'PUT',
    '/stop',
    'Stop {n}? Its tasks are removed; the config and offsets are kept.',
    (s) => s !== 'STOPPED',
  ],
  [
    'Delete',
    'delete',
    'DELETE',
    '',
    'Delete {n}? Its config and its offsets are deleted: this cannot be undone.',
    () => true,
  ],
];

async function act(ctx, name, [label, , method, suffix, question]) {
  if (!(await confirmAction(question.replace('{n}', name), label))) return;
  try {
    await call(method, `/connectors/${enc(name)}${suffix}`);
    notice(`${label}: done for ${name}.`);
    if (method === 'DELETE') ctx.go('#/connectors');
    else await ctx.refresh();
  } catch (err) {
    notice(`${label} failed: ${err.message}`, 'error');
  }
}

async function restartTask(ctx, name, id) {
  if (!(await confirmAction(`Restart task ${id} of ${name}?`, 'Restart task'))) return;
  try {
    await call('POST', `/connectors/${enc(name)}/tasks/${id}/restart`);
    notice(`Task ${id} of ${name} restarted.`);
    await ctx.refresh();
  } catch (err) {
    notice(`Restart failed: ${err.message}`, 'error');
  }
}

function table(id, caption, head, rows) {
  return h(
    'table',
    { id },
    caption && h('caption', {}, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        head.map((c) => h('th', { scope: 'col' }, c)),
      ),
    ),
    h('tbody', {}, rows),
  );
}

/** Optional data (offsets, topics): a failure shows in place rather than failing the page. */
async function optional(path) {
  try {
    return { value: await get(path) };
  } catch (err) {
    if (err.status === 401) throw err;
    return { error: err.message };
  }
}

/**
 * Offsets are read when the page opens, then every 30 s or on demand, not on every poll: a sink's offsets are read
 * through a short-lived Kafka consumer of the worker.
 */
const OFFSETS_EVERY_MS = 30_000;
const offsetsRead = new Map(); // connector → { atMs, result }

async function offsetsOf(name, fresh) {
  const last = offsetsRead.get(name);
  if (!fresh && last && Date.now() - last.atMs < OFFSETS_EVERY_MS) return last;
  const read = { atMs: Date.now(), result: await optional(`/connectors/${enc(name)}/offsets`) };
  offsetsRead.set(name, read);
  return read;
}

export const detailPage = {
  live: true,
  async render(ctx, [name], first) {
    const base = `/connectors/${enc(name)}`;
    const [status, config, offsetsNow, topics, text] = await Promise.all([
      get(`${base}/status`),
      get(`${base}/config`),
      offsetsOf(name, first),
      optional(`${base}/topics`),
      metricsText(),
    ]);
    const offsets = offsetsNow.result;
    const f = (text === undefined ? {} : ctx.history.add(text, Date.now()))[name] ?? {};
    const hist = ctx.history.history(name);
    const state = status.connector?.state;
    const sink = status.type === 'sink';
    const actions = ACTIONS.filter((a) => a[5](state)).map((a) =>
      h(
        'button',
        {
          type: 'button',
          id: `action-${a[1]}`,
          class: a[1] === 'delete' ? 'danger' : '',
          onclick: () => act(ctx, name, a),
        },
        a[0],
      ),
    );
    const figure = (label, id, value, series, unit) =>
      h(
        'div',
        { class: 'figure', id },
        h('div', { class: 'label' }, label),
        h('div', { class: 'value' }, value),
        series && sparkline(series, `${label}, last ${series.length} samples${unit ? ` (${unit})` : ''}`),
      );
    return [
      h('h1', {}, name, ' ', stateBadge(state)),
      h(
        'p',
        { class: 'meta' },
        `${status.type ?? ''} connector · ${config['connector.class'] ?? ''} · on worker ${status.connector?.worker_id ?? '–'}`,
      ),
      status.connector?.trace &&
        h(
          'details',
          { id: 'connector-trace', open: true },
          h('summary', {}, 'Connector failure'),
          h('pre', { class: 'trace' }, status.connector.trace),
        ),
      h(
        'div',
        { class: 'actions', role: 'group', 'aria-label': 'Actions' },
        h('a', { href: `#/edit/${enc(name)}`, class: 'button', id: 'action-edit' }, 'Edit'),
        actions,
      ),
      h('h2', {}, 'Throughput'),
      h(
        'div',
        { class: 'figures' },
        figure(sink ? 'Consumed' : 'Received', 'fig-in', fmt(f.inTotal, 0)),
        figure('In per second', 'fig-in-rate', fmt(f.inRate), hist.inRate, 'records/s'),
        figure(sink ? 'Published' : 'Written', 'fig-out', fmt(f.outTotal, 0)),
        figure('Out per second', 'fig-out-rate', fmt(f.outRate), hist.outRate, 'records/s'),
        // Between the last two polls; the average since the worker started when nothing moved meanwhile.
        figure('Latency (ms)', 'fig-latency', fmt(f.latencyMs ?? f.latencyAvgMs, 2), hist.latencyMs, 'ms'),
        figure('Errors', 'fig-errors', fmt(f.failed ?? 0, 0)),
        figure('Dead letters', 'fig-dlq', fmt(f.deadLettered ?? 0, 0)),
        sink && figure('Consumer lag', 'fig-lag', fmt(f.lag, 0), hist.lag, 'records'),
      ),
      h('h2', {}, 'Tasks'),
      (status.tasks ?? []).length === 0
        ? h('p', {}, 'No tasks (a paused, stopped or starting connector has none yet).')
        : table(
            'tasks',
            undefined,
            ['Task', 'State', 'Worker', 'Trace', ''],
            status.tasks.map((t) =>
              h(
                'tr',
                { 'data-task': t.id },
                h('th', { scope: 'row' }, String(t.id)),
                h('td', {}, stateBadge(t.state)),
                h('td', {}, t.worker_id ?? '–'),
                h(
                  'td',
                  {},
                  t.trace
                    ? h(
                        'details',
                        { id: `trace-${t.id}` },
                        h('summary', {}, 'Show trace'),
                        h('pre', { class: 'trace' }, t.trace),
                      )
                    : '',
                ),
                h(
                  'td',
                  {},
                  h(
                    'button',
                    { type: 'button', id: `restart-task-${t.id}`, onclick: () => restartTask(ctx, name, t.id) },
                    'Restart task',
                  ),
                ),
              ),
            ),
          ),
      h('h2', {}, 'Configuration'),
      table(
        'config',
        'Secrets show as [hidden], as the REST API returns them.',
        ['Key', 'Value'],
        Object.keys(config)
          .sort()
          .map((k) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, h('code', {}, config[k])))),
      ),
      h('h2', {}, 'Offsets'),
      h(
        'p',
        { class: 'meta', id: 'offsets-time' },
        `Read at ${new Date(offsetsNow.atMs).toLocaleTimeString('en-GB')}, every 30 s.`,
      ),
      h(
        'p',
        {},
        h(
          'button',
          {
            type: 'button',
            id: 'refresh-offsets',
            onclick: () => {
              offsetsRead.delete(name);
              void ctx.refresh();
            },
          },
          'Read offsets now',
        ),
      ),
      offsets.error
        ? h('p', { class: 'error' }, offsets.error)
        : (offsets.value?.offsets ?? []).length === 0
          ? h('p', {}, 'No offsets committed yet.')
          : table(
              'offsets',
              undefined,
              ['Partition', 'Offset'],
              offsets.value.offsets.map((o) =>
                h(
                  'tr',
                  {},
                  h('td', {}, h('code', {}, JSON.stringify(o.partition))),
                  h('td', {}, h('code', {}, JSON.stringify(o.offset))),
                ),
              ),
            ),
      h('h2', {}, 'Topics'),
      h(
        'p',
        { id: 'topics' },
        topics.error ?? ((topics.value?.[name]?.topics ?? []).join(', ') || 'None recorded yet.'),
      ),
    ];
  },
};
