// Create and edit: a form generated from the plugin's config definitions (PUT /connector-plugins/{p}/config/validate
// answers every key, its group, type, documentation and recommended values), checked by the same endpoint before it is
// sent, with each error next to its field.
import { call, enc, get } from '../api.js';
import { h, notice } from '../dom.js';

/** Groups most connectors leave alone start folded. */
const FOLDED = new Set(['Transforms', 'Predicates', 'Error Handling', 'Topic Creation']);
const fieldId = (key) => `field-${key.replace(/[^A-Za-z0-9_-]/g, '_')}`;

function input(def, value, rec) {
  const id = fieldId(def.name);
  const common = { id, name: def.name, 'aria-describedby': `${id}-help ${id}-error` };
  if (def.type === 'BOOLEAN' || rec.length > 0) {
    const options = def.type === 'BOOLEAN' ? ['true', 'false'] : rec;
    const unset = `(default${def.default_value != null ? `: ${def.default_value}` : ''})`;
    return h(
      'select',
      common,
      h('option', { value: '' }, unset),
      options.map((o) => h('option', { value: o, selected: value === o }, o)),
      value && !options.includes(value) ? h('option', { value, selected: true }, value) : null,
    );
  }
  return h('input', {
    ...common,
    type: def.type === 'PASSWORD' ? 'password' : 'text',
    value: value ?? '',
    placeholder: def.default_value ?? '',
    autocomplete: def.type === 'PASSWORD' ? 'new-password' : 'off',
    inputmode: ['INT', 'LONG', 'SHORT', 'DOUBLE'].includes(def.type) ? 'decimal' : undefined,
    required: def.required && def.name !== 'connector.class',
    spellcheck: 'false',
  });
}

function field(def, value, rec) {
  const id = fieldId(def.name);
  const label = def.display_name && def.display_name !== def.name ? `${def.display_name} (${def.name})` : def.name;
  return h(
    'div',
    { class: 'field', 'data-key': def.name },
    h('label', { for: id }, label, def.required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
    input(def, value, rec),
    h('p', { class: 'help', id: `${id}-help` }, def.documentation ?? ''),
    h('p', { class: 'field-error', id: `${id}-error`, 'aria-live': 'polite' }),
  );
}

/** The form's config: non-empty fields, then the free "key=value" lines. */
function collect(form, known) {
  const config = {};
  for (const el of form.querySelectorAll('[data-key] input, [data-key] select')) {
    if (el.value.trim() !== '') config[el.name] = el.value.trim();
  }
  const extra = form.querySelector('#field-extra').value;
  const bad = [];
  for (const [i, line] of extra.split('\n').entries()) {
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    const eq = line.indexOf('=');
    const key = eq > 0 ? line.slice(0, eq).trim() : '';
    if (key === '') bad.push(`line ${i + 1} is not key=value`);
    else if (known.has(key)) bad.push(`line ${i + 1}: ${key} has its own field above`);
    else config[key] = line.slice(eq + 1).trim();
  }
  return { config, bad };
}

/** Shows the validation's errors next to their fields and in a summary; returns how many there were. */
function showErrors(form, result, extraProblems, ignoreHidden) {
  for (const el of form.querySelectorAll('.field-error')) el.textContent = '';
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  const items = [];
  for (const c of result?.configs ?? []) {
    const errs = c.value.errors ?? [];
    if (errs.length === 0 || (ignoreHidden && c.value.value === '[hidden]')) continue;
    const id = fieldId(c.definition.name);
    const el = document.getElementById(id);
    if (el) {
      el.setAttribute('aria-invalid', 'true');
      document.getElementById(`${id}-error`).textContent = errs.join(' ');
      el.closest('details')?.setAttribute('open', '');
    }
    items.push(
      h(
        'li',
        {},
        el
          ? h('a', { href: `#${id}`, onclick: (e) => (e.preventDefault(), el.focus()) }, c.definition.name)
          : c.definition.name,
        `: ${errs.join(' ')}`,
      ),
    );
  }
  if (extraProblems.length > 0) {
    document.getElementById('field-extra-error').textContent = extraProblems.join('; ');
    items.push(h('li', {}, `Other settings: ${extraProblems.join('; ')}`));
  }
  const summary = form.querySelector('#form-errors');
  summary.replaceChildren(...(items.length ? [h('h2', {}, `${items.length} problem(s)`), h('ul', {}, items)] : []));
  summary.hidden = items.length === 0;
  if (items.length) summary.focus();
  return items.length;
}

async function definitions(cls, config) {
  return call('PUT', `/connector-plugins/${enc(cls)}/config/validate`, { ...config, 'connector.class': cls });
}

function renderForm(ctx, cls, result, values, editing) {
  const known = new Set(result.configs.map((c) => c.definition.name));
  const groups = new Map();
  for (const c of result.configs) {
    if (c.definition.name === 'connector.class') continue;
    if (editing && c.definition.name === 'name') continue;
    const g = c.definition.group || 'Other';
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g).push(c);
  }
  const extra = Object.entries(values)
    .filter(([k]) => !known.has(k))
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
  const sets = [...groups.entries()].map(([g, cs]) => {
    const fields = cs
      .sort((a, b) => (a.definition.order ?? 0) - (b.definition.order ?? 0))
      .map((c) => field(c.definition, values[c.definition.name], c.value.recommended_values ?? []));
    const set = h('fieldset', {}, h('legend', {}, g), fields);
    return FOLDED.has(g) ? h('details', { class: 'group' }, h('summary', {}, g), set) : set;
  });
  const form = h(
    'form',
    { id: 'connector-form', novalidate: true },
    h('div', { id: 'form-errors', class: 'error-summary', tabindex: '-1', role: 'alert', hidden: true }),
    sets,
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'field-extra' }, 'Other settings (key=value, one per line: transforms, converter options…)'),
      h(
        'textarea',
        { id: 'field-extra', rows: 4, spellcheck: 'false', 'aria-describedby': 'field-extra-error' },
        extra,
      ),
      h('p', { class: 'field-error', id: 'field-extra-error' }),
    ),
    h(
      'div',
      { class: 'buttons' },
      h('button', { type: 'button', id: 'form-check' }, 'Check'),
      h('button', { type: 'submit', id: 'form-submit' }, editing ? 'Save' : 'Create'),
      h('a', { href: editing ? `#/connectors/${enc(editing)}` : '#/connectors' }, 'Cancel'),
    ),
  );
  const check = async () => {
    const { config, bad } = collect(form, known);
    const res = await definitions(cls, editing ? { ...config, name: editing } : config);
    return { config, count: showErrors(form, res, bad, Boolean(editing)) };
  };
  const busy = (on) => {
    for (const b of form.querySelectorAll('button')) b.disabled = on;
  };
  form.querySelector('#form-check').addEventListener('click', async () => {
    busy(true);
    try {
      if ((await check()).count === 0) notice('No problems found.');
    } catch (err) {
      notice(err.message, 'error');
    } finally {
      busy(false);
    }
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    busy(true);
    try {
      const { config, count } = await check();
      if (count > 0) return;
      config['connector.class'] = cls;
      const name = editing ?? config.name;
      if (editing) await call('PUT', `/connectors/${enc(name)}/config`, { ...config, name });
      else await call('POST', '/connectors', { name, config });
      notice(`${name} ${editing ? 'saved' : 'created'}.`);
      ctx.go(`#/connectors/${enc(name)}`);
    } catch (err) {
      const summary = form.querySelector('#form-errors');
      summary.replaceChildren(h('h2', {}, 'Not saved'), h('p', {}, err.message));
      summary.hidden = false;
      summary.focus();
    } finally {
      busy(false);
    }
  });
  return form;
}

export const formPage = {
  live: false,
  async render(ctx, [editing]) {
    if (editing) {
      const config = await get(`/connectors/${enc(editing)}/config`);
      const cls = config['connector.class'];
      const result = await definitions(cls, config);
      return [
        h('h1', {}, `Edit ${editing}`),
        h('p', { class: 'meta' }, cls),
        renderForm(ctx, cls, result, config, editing),
      ];
    }
    const plugins = await get('/connector-plugins');
    const holder = h('div', { id: 'form-holder' });
    const select = h(
      'select',
      {
        id: 'plugin',
        onchange: async () => {
          holder.replaceChildren();
          if (!select.value) return;
          try {
            const result = await definitions(select.value, {});
            holder.replaceChildren(renderForm(ctx, select.value, result, {}, undefined));
          } catch (err) {
            holder.replaceChildren(h('p', { class: 'error', role: 'alert' }, err.message));
          }
        },
      },
      h('option', { value: '' }, 'Choose a plugin…'),
      plugins.map((p) => h('option', { value: p.class }, `${p.class} (${p.type} ${p.version})`)),
    );
    return [
      h('h1', {}, 'New connector'),
      h('div', { class: 'field' }, h('label', { for: 'plugin' }, 'Connector plugin'), select),
      holder,
    ];
  },
};
