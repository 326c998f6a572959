// Stratum operator dashboard: street map, zone plots, decision log, alerts, devices, evidence.
// SPDX-License-Identifier: Apache-2.0
'use strict';

(function () {
  const STATES = ['calm', 'lively', 'tense', 'escalating', 'incident'];
  const COLORS = {
    calm: '#2e9d6b', lively: '#3b82c4', tense: '#e0a526', escalating: '#e0702b', incident: '#c62f2f',
  };
  const KIND_COLORS = { scene: '#7c3aed', music: '#0891b2', alert: '#c62f2f' };

  const S = {
    zones: [],          // latest zone list (from /api/zones, then "zones" events)
    byId: {},
    now: null,          // engine time, epoch seconds
    offsetMin: 0,       // street local time = UTC + offsetMin
    selected: null,     // zone id shown in the plots
    charts: [],
    minutes: [],
    interventions: [],
    log: new Map(),     // transition id -> row
    alerts: new Map(),  // alert id -> alert
    token: sessionStorage.getItem('stratum-token') || '',
  };

  const $ = (sel) => document.querySelector(sel);
  const el = (tag, attrs, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v);
    }
    for (const k of kids) if (k != null) e.append(k);
    return e;
  };
  const svg = (tag, attrs, text) => {
    const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text != null) e.textContent = text;
    return e;
  };
  const fmt = (v, d = 1) => (v == null || !isFinite(v) ? '—' : Number(v).toFixed(d));
  // Street local clock time of an epoch second, "HH:MM".
  const clock = (t) => {
    if (t == null || !isFinite(t)) return '--:--';
    const d = new Date((t + S.offsetMin * 60) * 1000);
    return d.toISOString().slice(11, 16);
  };

  async function api(path, opts) {
    const r = await fetch(path, Object.assign({ cache: 'no-store' }, opts || {}));
    let body = null;
    try { body = await r.json(); } catch (e) { body = null; }
    return { status: r.status, ok: r.ok, body };
  }

  // ---- street map -------------------------------------------------------------

  function legend() {
    const ul = $('#legend');
    ul.textContent = '';
    for (const s of STATES) {
      const sw = el('span', { class: 'sw' });
      sw.style.background = COLORS[s];
      ul.append(el('li', {}, sw, s));
    }
  }

  // Zones as blocks along the street, in street order, wrapping into rows.
  function drawMap() {
    const map = $('#map');
    const n = S.zones.length;
    const cols = Math.max(1, Math.min(n, n > 12 ? 10 : n));
    const rows = Math.max(1, Math.ceil(n / cols));
    const bw = 170, bh = 104, gap = 12, road = 26, rowH = bh + road + 18;
    const W = cols * bw + (cols - 1) * gap + 20, H = rows * rowH + 4;
    map.setAttribute('viewBox', `0 0 ${W} ${H}`);
    if (map.childElementCount !== n + rows) {
      map.textContent = '';
      for (let r = 0; r < rows; r++) {
        const y = r * rowH + bh + 10;
        map.append(svg('rect', { class: 'road', x: 0, y, width: W, height: road, rx: 4 }));
        map.append(svg('line', { class: 'kerb', x1: 8, y1: y + road / 2, x2: W - 8, y2: y + road / 2 }));
      }
      S.zones.forEach((z, i) => {
        const r = Math.floor(i / cols), c = i % cols;
        const x = 10 + c * (bw + gap), y = r * rowH + 4;
        const g = svg('g', { class: 'zone', 'data-zone': z.id, tabindex: 0 });
        g.append(svg('rect', { class: 'block', x, y, width: bw, height: bh, rx: 8 }));
        g.append(svg('text', { class: 'zid', x: x + 10, y: y + 20 }, z.id));
        g.append(svg('text', { class: 'small title', x: x + 10, y: y + 36 }, (z.title || '').slice(0, 24)));
        g.append(svg('text', { class: 'people', x: x + 10, y: y + 66 }, ''));
        g.append(svg('text', { class: 'small state', x: x + 10, y: y + 86 }, ''));
        g.append(svg('text', { class: 'small score', x: x + bw - 10, y: y + 86, 'text-anchor': 'end' }, ''));
        g.addEventListener('click', () => select(z.id));
        g.addEventListener('keydown', (e) => { if (e.key === 'Enter') select(z.id); });
        map.append(g);
      });
    }
    for (const g of map.querySelectorAll('g.zone')) {
      const z = S.byId[g.dataset.zone];
      if (!z) continue;
      g.dataset.state = z.state;
      g.classList.toggle('selected', z.id === S.selected);
      g.classList.toggle('stale', !!z.stale);
      g.querySelector('rect.block').setAttribute('fill', COLORS[z.state] || '#9ca3af');
      g.querySelector('text.people').textContent =
        z.occupancy == null ? '—' : `${Math.round(z.occupancy)} people`;
      g.querySelector('text.state').textContent = z.stale ? `${z.state} (stale)` : z.state;
      g.querySelector('text.score').textContent = `score ${fmt(z.score, 2)}`;
      const title = `${z.id} ${z.title || ''}: ${z.state}, ${fmt(z.laeq_mid)} dB LAeq, ` +
        `${fmt(z.event_rate)} events/min, since ${clock(z.since)}`;
      let t = g.querySelector('title');
      if (!t) { t = svg('title'); g.prepend(t); }
      t.textContent = title;
    }
    const z = S.byId[S.selected];
    if (z) {
      $('#zone-now').textContent = `${z.state} since ${clock(z.since)} · LAeq ${fmt(z.laeq_mid)} dB · ` +
        `${z.occupancy == null ? '—' : Math.round(z.occupancy)} people · score ${fmt(z.score, 2)}`;
    }
  }

  function setZones(list, now) {
    const known = new Map(S.zones.map((z) => [z.id, z]));
    S.zones = list.map((z) => Object.assign(known.get(z.id) || {}, z));
    S.byId = Object.fromEntries(S.zones.map((z) => [z.id, z]));
    if (now != null) {
      S.now = now;
      $('#clock').textContent = clock(now);
      $('#clock').dataset.now = String(now);
    }
    if (!S.selected && S.zones.length) select(S.zones[0].id, true);
    drawMap();
  }

  function fillZoneSelects() {
    for (const id of ['#log-zone', '#scene-zone', '#pin-zone']) {
      const sel = $(id);
      const keep = sel.value;
      while (sel.options.length > 1) sel.remove(1);
      for (const z of S.zones) sel.append(el('option', { value: z.id, text: `${z.id} ${z.title || ''}` }));
      sel.value = keep;
    }
  }

  // ---- plots ------------------------------------------------------------------

  // Background bands: each minute's state behind the chart (score chart) and
  // interventions as vertical markers (every chart).
  function overlays(withBands) {
    return {
      hooks: {
        drawClear: [(u) => {
          if (!withBands || !S.minutes.length) return;
          const ctx = u.ctx, top = u.bbox.top, h = u.bbox.height;
          ctx.save();
          ctx.globalAlpha = 0.16;
          for (let i = 0; i < S.minutes.length; i++) {
            const m = S.minutes[i];
            const x0 = u.valToPos(xOf(m.t), 'x', true), x1 = u.valToPos(xOf(m.t + 60), 'x', true);
            ctx.fillStyle = COLORS[m.state] || '#ffffff';
            ctx.fillRect(x0, top, Math.max(1, x1 - x0), h);
          }
          ctx.restore();
        }],
        draw: [(u) => {
          const ctx = u.ctx, top = u.bbox.top, h = u.bbox.height;
          ctx.save();
          for (const iv of S.interventions) {
            const x = u.valToPos(xOf(iv.t), 'x', true);
            if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
            ctx.strokeStyle = KIND_COLORS[iv.kind] || '#111827';
            ctx.fillStyle = ctx.strokeStyle;
            ctx.lineWidth = 1.5 * devicePixelRatio;
            ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
            ctx.beginPath();
            ctx.moveTo(x, top);
            ctx.lineTo(x, top + h);
            ctx.stroke();
            ctx.setLineDash([]);
            ctx.beginPath();
            ctx.moveTo(x - 5 * devicePixelRatio, top);
            ctx.lineTo(x + 5 * devicePixelRatio, top);
            ctx.lineTo(x, top + 8 * devicePixelRatio);
            ctx.fill();
          }
          ctx.restore();
        }],
      },
    };
  }

  // Plots run on x = epoch + offset, shown as UTC: that is street time.
  const xOf = (t) => t + S.offsetMin * 60;
  const hhmm = (x) => (x == null || !isFinite(x) ? '--' : new Date(x * 1000).toISOString().slice(11, 16));

  function makeCharts() {
    for (const c of S.charts) c.destroy();
    S.charts = [];
    if (typeof uPlot === 'undefined') return;
    const specs = [
      ['#chart-laeq', 'Sound level (LAeq, dB)', [{ label: 'LAeq', stroke: '#2563eb', width: 1.5 },
        { label: 'LAFmax', stroke: '#93c5fd', width: 1 }], false, null],
      ['#chart-crowd', 'People present (count)', [{ label: 'people', stroke: '#0f766e', width: 1.5,
        fill: 'rgba(15,118,110,0.08)' }], false, null],
      ['#chart-score', 'Escalation score', [{ label: 'score', stroke: '#111827', width: 1.5 },
        { label: 'max', stroke: '#9ca3af', width: 1 }], true, [0, 1]],
    ];
    for (const [sel, title, series, bands, range] of specs) {
      const box = $(sel);
      box.textContent = '';
      const width = Math.max(260, box.clientWidth || 360);
      const opts = {
        title, width, height: 200,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
        scales: { x: { time: true }, y: range ? { range: () => range } : {} },
        series: [{ label: 'time', value: (u, v) => hhmm(v) }]
          .concat(series.map((s) => Object.assign({ points: { show: false } }, s))),
        axes: [{ values: (u, splits) => splits.map(hhmm) }, { size: 44 }],
        legend: { live: true },
        plugins: [overlays(bands)],
      };
      const empty = [[]].concat(series.map(() => []));
      S.charts.push(new uPlot(opts, empty, box));
    }
  }

  async function refreshCharts() {
    const id = S.selected;
    if (!id) return;
    const [m, iv] = await Promise.all([
      api(`/api/zones/${encodeURIComponent(id)}/minutes?limit=600`),
      api(`/api/interventions?zone=${encodeURIComponent(id)}&limit=500`),
    ]);
    if (id !== S.selected) return;
    S.minutes = m.ok ? m.body.minutes : [];
    S.interventions = iv.ok ? iv.body.interventions : [];
    const xs = S.minutes.map((r) => xOf(r.t));
    const col = (k) => S.minutes.map((r) => (r[k] == null ? null : r[k]));
    const data = [
      [xs, col('laeq_mean'), col('laeq_max')],
      [xs, col('occupancy')],
      [xs, col('score_mean'), col('score_max')],
    ];
    S.charts.forEach((c, i) => c.setData(data[i]));
    const charts = $('#charts');
    charts.dataset.zone = id;
    charts.dataset.points = String(xs.length);
    charts.dataset.last = xs.length ? String(S.minutes[xs.length - 1].t) : '';
    charts.dataset.interventions = String(S.interventions.length);
  }

  function select(id, quiet) {
    S.selected = id;
    $('#zone-name').textContent = `${id}${S.byId[id] && S.byId[id].title ? ' — ' + S.byId[id].title : ''}`;
    if (!quiet) drawMap();
    refreshCharts();
  }

  // ---- decision log -----------------------------------------------------------

  function logRow(tr, fresh) {
    if (S.log.has(tr.id)) return;
    const filter = $('#log-zone').value;
    const row = el('tr', { class: 'transition' + (fresh ? ' fresh' : ''), 'data-id': tr.id, 'data-zone': tr.zone },
      el('td', { class: 'num', text: clock(tr.t) }),
      el('td', { text: tr.zone }),
      el('td', {}, el('span', { class: `state ${tr.from}`, text: tr.from }), ' → ',
        el('span', { class: `state ${tr.to}`, text: tr.to })),
      el('td', { class: 'num', text: fmt(tr.score, 2) }),
      el('td', { class: 'why', text: tr.rule || '' }));
    if (filter && tr.zone !== filter) row.hidden = true;
    row.addEventListener('click', () => toggleTrace(row, tr.id));
    S.log.set(tr.id, row);
    const body = $('#log tbody');
    // Newest first: insert before the first row with a smaller id.
    let before = null;
    for (const r of body.querySelectorAll('tr.transition')) {
      if (Number(r.dataset.id) < tr.id) { before = r; break; }
    }
    body.insertBefore(row, before);
    while (S.log.size > 300) {
      const last = body.querySelector('tr.transition:last-of-type');
      if (!last) break;
      S.log.delete(Number(last.dataset.id));
      if (last.nextElementSibling && last.nextElementSibling.classList.contains('trace-row')) last.nextElementSibling.remove();
      last.remove();
    }
  }

  async function toggleTrace(row, id) {
    const next = row.nextElementSibling;
    if (next && next.classList.contains('trace-row')) {
      next.remove();
      row.classList.remove('open');
      return;
    }
    row.classList.add('open');
    const tpl = $('#trace-tpl').content.firstElementChild.cloneNode(true);
    row.after(tpl);
    const box = tpl.querySelector('.trace');
    box.textContent = 'loading…';
    const r = await api(`/api/transitions/${id}`);
    if (!r.ok) { box.textContent = (r.body && r.body.error) || `error ${r.status}`; return; }
    renderTrace(box, r.body);
  }

  function dl(pairs) {
    const d = el('dl');
    for (const [k, v] of pairs) d.append(el('dt', { text: k }), el('dd', { text: v }));
    return d;
  }

  function renderTrace(box, t) {
    const tr = t.trace || {};
    box.textContent = '';
    box.append(el('div', { class: 'rule', text: tr.rule || 'no rule recorded' }));
    box.append(el('div', {}, el('h3', { text: 'decision' }), dl([
      ['time', clock(t.t)], ['change', `${t.from} → ${t.to}`], ['score', fmt(tr.score, 3)],
      ['threshold', fmt(tr.threshold, 3)], ['condition held', `${fmt(tr.held_s, 0)} s`],
      ['time in ' + t.from, `${fmt(tr.dwell_s, 0)} s`]])));
    box.append(el('div', {}, el('h3', { text: 'inputs' }), dl([
      ['people', fmt(tr.occupancy, 0)], ['LAeq 10 s', `${fmt(tr.laeq_short)} dB`],
      ['LAeq 1 min', `${fmt(tr.laeq_mid)} dB`], ['LAeq 5 min', `${fmt(tr.laeq_long)} dB`],
      ['baseline', `${fmt(tr.baseline_db)} dB`], ['events', `${fmt(tr.event_rate)} /min`]])));
    const terms = el('div', {}, el('h3', { text: 'score terms' }));
    const d = el('dl');
    for (const k of ['crowd', 'noise', 'events', 'trend']) {
      const v = tr['term_' + k];
      const bar = el('span', { class: 'bar' });
      bar.style.width = `${Math.max(0, Math.min(1, v || 0)) * 120}px`;
      d.append(el('dt', { text: k }), el('dd', {}, bar, ` ${fmt(v, 3)}`));
    }
    terms.append(d);
    box.append(terms);
    const ivs = el('div', {}, el('h3', { text: 'what the policy did' }));
    if (!t.interventions || !t.interventions.length) ivs.append(el('p', { class: 'muted', text: 'no intervention' }));
    for (const iv of t.interventions || []) {
      ivs.append(el('p', {}, el('strong', { text: `${iv.kind} ${iv.name}` }), ` (rule ${iv.rule}) — ${iv.reason}`));
    }
    box.append(ivs);
  }

  async function loadLog() {
    const z = $('#log-zone').value;
    const r = await api(`/api/transitions?limit=100${z ? '&zone=' + encodeURIComponent(z) : ''}`);
    if (!r.ok) return;
    for (const tr of r.body.transitions) logRow(tr, false);
  }

  // ---- alerts and operator actions ---------------------------------------------

  function drawAlerts() {
    const ul = $('#alerts');
    ul.textContent = '';
    const list = [...S.alerts.values()].sort((a, b) => b.id - a.id).slice(0, 100);
    if (!list.length) ul.append(el('li', { class: 'empty', text: 'no alerts' }));
    for (const a of list) {
      const li = el('li', { class: a.acknowledged ? 'acked' : '', 'data-id': a.id },
        el('span', { class: 'num', text: clock(a.t) }),
        el('span', { class: `sev ${a.severity}`, text: a.severity }),
        el('span', { text: `${a.zone}: ${a.state || ''}` }));
      li.title = a.reason || '';
      if (a.acknowledged) li.append(el('span', { class: 'muted', text: `ack by ${a.acknowledged_by || 'operator'}` }));
      else li.append(el('button', { type: 'button', text: 'Acknowledge', onclick: () => ack(a.id) }));
      ul.append(li);
    }
  }

  async function loadAlerts() {
    const r = await api('/api/alerts');
    if (!r.ok) return;
    for (const a of r.body.alerts) S.alerts.set(a.id, a);
    drawAlerts();
  }

  async function write(path, body) {
    const out = $('#op-result');
    if (!S.token) { out.textContent = 'Enter the operator token first.'; return null; }
    const r = await api(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${S.token}` },
      body: JSON.stringify(body || {}),
    });
    out.textContent = r.ok ? `accepted: ${r.body.command} ${r.body.arg} (audit record ${r.body.audit_seq ?? '—'})`
      : `refused (${r.status}): ${(r.body && r.body.error) || ''}`;
    return r;
  }

  async function ack(id) {
    const r = await write(`/api/alerts/${id}/ack`, {});
    if (r && r.ok) loadAlerts();
  }

  function operatorForms() {
    const tok = $('#token');
    tok.value = S.token;
    tok.addEventListener('change', () => {
      S.token = tok.value.trim();
      sessionStorage.setItem('stratum-token', S.token);
    });
    $('#token-form').addEventListener('submit', (e) => e.preventDefault());
    $('#scene-form').addEventListener('submit', (e) => {
      e.preventDefault();
      write('/api/scene', { scene: $('#scene-name').value.trim(), zone: $('#scene-zone').value });
    });
    $('#pin-form').addEventListener('submit', (e) => {
      e.preventDefault();
      write('/api/policy/pin', { policy: $('#pin-name').value.trim(), zone: $('#pin-zone').value });
    });
    $('#log-zone').addEventListener('change', () => {
      const z = $('#log-zone').value;
      for (const r of S.log.values()) r.hidden = !!z && r.dataset.zone !== z;
      loadLog();
    });
  }

  // ---- devices, evidence, audit -------------------------------------------------

  async function loadDevices() {
    const r = await api('/api/devices');
    if (!r.ok) return;
    const body = $('#devices tbody');
    body.textContent = '';
    const counts = {};
    for (const d of r.body.devices) {
      counts[d.health] = (counts[d.health] || 0) + 1;
      body.append(el('tr', { 'data-device': d.id },
        el('td', { text: d.id }), el('td', { text: d.zone }), el('td', { text: d.kind }),
        el('td', {}, el('span', { class: `health ${d.health}`, text: d.health })),
        el('td', { class: 'num', text: d.last_seen ? `${clock(d.last_seen)} (${fmt(d.age_s, 0)} s ago)` : 'never' }),
        el('td', { text: d.version || 'unknown' }),
        el('td', { text: d.quarantined == null ? 'unknown' : d.quarantined ? 'yes' : 'no' })));
    }
    $('#devices-summary').textContent = Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(' · ');
  }

  function table(rows) {
    const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    return el('table', {}, el('thead', {}, el('tr', {}, ...keys.map((k) => el('th', { text: k })))),
      el('tbody', {}, ...rows.map((r) => el('tr', {}, ...keys.map((k) => el('td', {
        text: typeof r[k] === 'number' ? fmt(r[k], 3) : r[k] == null ? '' : typeof r[k] === 'object' ? JSON.stringify(r[k]) : String(r[k]),
      }))))));
  }

  // An estimate with its interval: "+0.12 [-0.05, +0.30]".
  function ci(e, digits, signed) {
    if (!e || e.est == null) return '–';
    const f = (x) => (signed && x > 0 ? '+' : '') + fmt(x, digits);
    return `${f(e.est)} [${f(e.lo)}, ${f(e.hi)}]`;
  }

  // Each intervention arm against control (stratum evidence report --json).
  function renderComparisons(box, rep) {
    box.append(el('p', { class: 'note', text:
      `${rep.scope}; outcome window ${fmt(rep.window_s / 60, 0)} min; ${fmt(100 * rep.level, 0)} % intervals.` }));
    const head = ['arm', 'episodes (arm / control)', 'incident risk difference', 'risk ratio',
      'settled within window, difference', 'time to calm, difference (s)', 'conclusion'];
    const rows = rep.comparisons.map((c) => el('tr', {},
      el('td', { text: c.arm }),
      el('td', { text: `${c.episodes} / ${c.control_episodes}` }),
      el('td', { text: ci(c.risk_difference, 2, true) }),
      el('td', { text: ci(c.risk_ratio, 2, false) }),
      el('td', { text: ci(c.settled_difference, 2, true) }),
      el('td', { text: ci(c.time_to_calm_difference_s, 0, true) }),
      el('td', { class: c.too_small ? 'warn' : '', text: c.too_small ? 'too few episodes to conclude'
        : c.significant ? 'incident risk differs from control' : 'no difference shown' })));
    box.append(el('table', { class: 'evidence' }, el('thead', {}, el('tr', {}, ...head.map((h) => el('th', { text: h })))),
      el('tbody', {}, ...rows)));
  }

  async function loadEvidence() {
    const box = $('#evidence');
    const r = await api('/api/evidence');
    box.textContent = '';
    if (r.status === 404) {
      box.dataset.status = 'unavailable';
      box.textContent = 'Evidence report not available yet.';
      return;
    }
    if (!r.ok || !r.body) {
      box.dataset.status = 'error';
      box.textContent = `The evidence report could not be loaded (${r.status}).`;
      return;
    }
    box.dataset.status = 'ok';
    if (Array.isArray(r.body.comparisons)) { renderComparisons(box, r.body); return; }
    // Any array of objects in the report becomes a table; other members a list.
    const scalars = [];
    for (const [k, v] of Object.entries(r.body)) {
      if (Array.isArray(v) && v.length && typeof v[0] === 'object') box.append(el('h3', { text: k }), table(v));
      else scalars.push([k, typeof v === 'object' ? JSON.stringify(v) : String(v)]);
    }
    if (scalars.length) box.prepend(dl(scalars));
  }

  async function loadAudit() {
    const r = await api('/api/audit');
    const a = $('#audit');
    if (!r.ok) { a.dataset.status = 'error'; a.textContent = `audit: ${(r.body && r.body.error) || r.status}`; return; }
    a.dataset.status = r.body.status;
    a.textContent = r.body.status === 'none' ? 'audit: no audit records' : `audit: ${r.body.problem}`;
  }

  // ---- live updates -------------------------------------------------------------

  function status(text) { $('#status-line').textContent = text; }

  function connect() {
    if (typeof EventSource === 'undefined') return;
    const es = new EventSource('/api/events');
    const sse = $('#sse');
    es.onopen = () => { sse.dataset.status = 'open'; $('#sse-text').textContent = 'live'; };
    es.onerror = () => { sse.dataset.status = 'error'; $('#sse-text').textContent = 'reconnecting'; };
    es.addEventListener('zones', (e) => {
      const d = JSON.parse(e.data);
      setZones(d.zones, d.now);
    });
    es.addEventListener('transition', (e) => {
      const d = JSON.parse(e.data);
      logRow(d, true);
      if (d.zone === S.selected) refreshCharts();
    });
    es.addEventListener('intervention', (e) => {
      const d = JSON.parse(e.data);
      status(`${clock(d.t)} ${d.zone}: ${d.kind} ${d.name} (rule ${d.rule})`);
      if (d.zone === S.selected) refreshCharts();
    });
    es.addEventListener('alert', (e) => {
      const d = JSON.parse(e.data);
      if (!S.alerts.has(d.id)) S.alerts.set(d.id, d);
      drawAlerts();
    });
    es.addEventListener('status', (e) => {
      const d = JSON.parse(e.data);
      status(d.text);
    });
  }

  async function start() {
    legend();
    operatorForms();
    const r = await api('/api/zones');
    if (r.ok) {
      S.offsetMin = r.body.utc_offset_min || 0;
      $('#street').textContent = r.body.street || '';
      setZones(r.body.zones, r.body.now);
      fillZoneSelects();
    }
    makeCharts();
    await Promise.all([refreshCharts(), loadLog(), loadAlerts(), loadDevices(), loadEvidence(), loadAudit()]);
    connect();
    setInterval(refreshCharts, 3000);
    setInterval(loadDevices, 2000);
    setInterval(loadAudit, 15000);
    let resizeTimer = null;
    window.addEventListener('resize', () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => { makeCharts(); refreshCharts(); }, 200);
    });
    document.body.dataset.ready = '1';
  }

  start();
})();
