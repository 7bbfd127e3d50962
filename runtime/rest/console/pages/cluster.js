// The cluster: the workers that run something, and how the tasks are spread over them.
import { get } from '../api.js';
import { h } from '../dom.js';
import { overview } from './data.js';

export const clusterPage = {
  live: true,
  async render(ctx) {
    const [server, { connectors }] = await Promise.all([get('/'), overview(ctx)]);
    const workers = new Map(); // worker → {connectors: n, tasks: {connector → [ids]}, states}
    const at = (id) => {
      const key = id ?? '(unassigned)';
      if (!workers.has(key)) workers.set(key, { connectors: 0, tasks: 0, running: 0, spread: {} });
      return workers.get(key);
    };
    const names = Object.keys(connectors).sort();
    for (const name of names) {
      const status = connectors[name].status;
      if (!status) continue;
      at(status.connector?.worker_id).connectors++;
      for (const t of status.tasks ?? []) {
        const w = at(t.worker_id);
        w.tasks++;
        if (t.state === 'RUNNING') w.running++;
        (w.spread[name] ??= []).push(t.id);
      }
    }
    const ids = [...workers.keys()].sort();
    return [
      h('h1', {}, 'Cluster'),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Ferry version'),
        h('dd', {}, server.version),
        h('dt', {}, 'Kafka cluster'),
        h('dd', {}, server.kafka_cluster_id || '–'),
        h('dt', {}, 'Workers running connectors or tasks'),
        h('dd', { id: 'worker-count' }, String(ids.length)),
      ),
      h('h2', {}, 'Workers'),
      h(
        'table',
        { id: 'workers' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Worker', 'Connectors', 'Tasks', 'Running'].map((c) => h('th', { scope: 'col' }, c)),
          ),
        ),
        h(
          'tbody',
          {},
          ids.map((id) => {
            const w = workers.get(id);
            return h(
              'tr',
              {},
              h('th', { scope: 'row' }, id),
              h('td', { class: 'num' }, String(w.connectors)),
              h('td', { class: 'num' }, String(w.tasks)),
              h('td', { class: 'num' }, String(w.running)),
            );
          }),
        ),
      ),
      h('h2', {}, 'Task spread'),
      names.length === 0
        ? h('p', {}, 'No connectors.')
        : h(
            'table',
            { id: 'spread' },
            h('caption', {}, 'Task ids of each connector on each worker.'),
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', { scope: 'col' }, 'Connector'),
                ids.map((id) => h('th', { scope: 'col' }, id)),
              ),
            ),
            h(
              'tbody',
              {},
              names.map((name) =>
                h(
                  'tr',
                  {},
                  h('th', { scope: 'row' }, h('a', { href: `#/connectors/${encodeURIComponent(name)}` }, name)),
                  ids.map((id) => h('td', {}, (workers.get(id).spread[name] ?? []).join(', '))),
                ),
              ),
            ),
          ),
      h(
        'p',
        { class: 'hint' },
        'A worker that runs nothing is not listed: the REST API names workers only through the tasks they run.',
      ),
    ];
  },
};
