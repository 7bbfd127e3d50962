// The connector list: state, type, rates in and out, errors and dead letters at a glance.
import { enc } from '../api.js';
import { fmt, h, stateBadge } from '../dom.js';
import { overview, taskCount } from './data.js';

export const connectorsPage = {
  live: true,
  async render(ctx) {
    const { connectors, figures } = await overview(ctx);
    const names = Object.keys(connectors).sort();
    const rows = names.map((name) => {
      const { status, info } = connectors[name];
      const f = figures[name] ?? {};
      const type = status?.type ?? info?.type ?? '';
      return h(
        'tr',
        { 'data-connector': name },
        h('th', { scope: 'row' }, h('a', { href: `#/connectors/${enc(name)}`, id: `link-${name}` }, name)),
        h('td', {}, type),
        h('td', {}, info?.config?.['connector.class'] ?? ''),
        h('td', { class: 'state-cell' }, stateBadge(status?.connector?.state)),
        h('td', { class: 'num tasks' }, taskCount(status)),
        h('td', { class: 'num in-total' }, fmt(f.inTotal, 0)),
        h('td', { class: 'num in-rate' }, fmt(f.inRate)),
        h('td', { class: 'num out-total' }, fmt(f.outTotal, 0)),
        h('td', { class: 'num out-rate' }, fmt(f.outRate)),
        h('td', { class: 'num errors' }, fmt(f.failed ?? 0, 0)),
        h('td', { class: 'num dlq' }, fmt(f.deadLettered ?? 0, 0)),
        h('td', { class: 'num lag' }, type === 'sink' ? fmt(f.lag, 0) : ''),
      );
    });
    return [
      h('h1', {}, 'Connectors'),
      h('p', {}, h('a', { href: '#/new', class: 'button', id: 'new-connector' }, 'New connector')),
      names.length === 0
        ? h('p', { id: 'empty' }, 'No connectors yet.')
        : h(
            'table',
            { id: 'connectors' },
            h('caption', {}, 'Counts and rates per second are this worker’s tasks, since the worker started.'),
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ['Name', 'Type', 'Class', 'State', 'Tasks', 'In', 'In/s', 'Out', 'Out/s', 'Errors', 'DLQ', 'Lag'].map(
                  (c) => h('th', { scope: 'col' }, c),
                ),
              ),
            ),
            h('tbody', {}, rows),
          ),
    ];
  },
};
