// ecsim report: cluster view, decision view and timeline of one or more
// runs, in lock-step on one clock. Reads the JSON in #data; no network.
(function () {
  'use strict';
  var DOC = JSON.parse(document.getElementById('data').textContent);
  var RUNS = DOC.runs;
  var NS = 'http://www.w3.org/2000/svg';
  var PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd',
    '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];
  // Column indices of the compact arrays (see src/report/data.rs).
  var T = { id: 0, owner: 1, inst: 2, cpu: 3, mem: 4, pending: 5, running: 6,
    stopping: 7, stopped: 8, reason: 9, dec: 10 };
  var I = { id: 0, type: 1, az: 2, purchase: 3, price: 4, cpu: 5, mem: 6,
    launched: 7, registered: 8, draining: 9, terminated: 10, term: 11 };
  var D = { num: 0, t: 1, when: 2, source: 3, text: 4, inst: 5, task: 6, filtered: 7 };

  var horizon = Math.max.apply(null, RUNS.map(function (r) { return r.horizon; }));
  var start = RUNS[0].start;
  var maxDec = Math.max.apply(null, RUNS.map(function (r) { return r.decisions.length; }));
  // dec: the decision stepped to (0: none, the clock was moved freely);
  // evT: the time of the event marker clicked (null: none).
  // begin: the page just opened, before decision 1 (stepping starts there).
  var state = { t: 0, dec: 0, evT: null, playing: false, begin: true };
  // Chart geometry (viewBox units).
  // Side by side, each column is narrower on screen: fewer units across
  // keep the text as large.
  var WIDE = RUNS.length === 1 ? 1000 : RUNS.length === 2 ? 700 : 520;
  var CW = WIDE, CH = 210, ML = 70, MR = 30, MT = 14, MB = 40;

  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function date(t) { return new Date((start + t) * 1000); }
  function hhmm(t) { var d = date(t); return pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()); }
  function hhmmss(t) { var d = date(t); return hhmm(t) + ':' + pad(d.getUTCSeconds()); }
  function day(t) {
    var d = date(t);
    return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate());
  }
  function svg(tag, attrs, parent) {
    var e = document.createElementNS(NS, tag);
    for (var k in attrs) { if (attrs[k] !== null && attrs[k] !== undefined) e.setAttribute(k, attrs[k]); }
    if (parent) parent.appendChild(e);
    return e;
  }
  function html(tag, attrs, parent, text) {
    var e = document.createElement(tag);
    for (var k in attrs) { e.setAttribute(k, attrs[k]); }
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function color(i) { return PALETTE[i % PALETTE.length]; }
  function shortId(id) { return '\u2026' + id.slice(-5); }
  function pct(used, of) { return (of ? Math.round(100 * used / of) : 0) + '%'; }

  // ---- Layout -------------------------------------------------------------
  document.getElementById('title').textContent = 'ecsim report: ' + DOC.title;
  var main = document.getElementById('runs');
  main.style.gridTemplateColumns = 'repeat(' + RUNS.length + ', minmax(0, 1fr))';
  var slider = document.getElementById('slider');
  slider.max = String(Math.ceil(horizon));

  // Common y ranges, so that side-by-side charts compare at a glance.
  function colMax(r, names) {
    var m = 0;
    names.forEach(function (n) {
      (r.series[n] || []).forEach(function (v) { if (v !== null && v > m) m = v; });
    });
    return m;
  }
  function taskCols(r) {
    var out = [];
    r.owners.forEach(function (o, k) {
      if (k < r.services && r.series[o + '.desired']) out.push({ name: o + '.desired', label: o + ' desired', c: color(k), dash: true });
      if (r.series[o + '.running']) out.push({ name: o + '.running', label: o + ' running', c: color(k) });
    });
    return out;
  }
  var CHARTS = [
    { key: 'res', title: 'Reservation', unit: '% of registered', cols: function () {
      return [{ name: 'cpu_reservation_pct', label: 'CPU', c: '#1f77b4' },
        { name: 'memory_reservation_pct', label: 'memory', c: '#2ca02c' }];
    }, fixed: 100 },
    { key: 'inst', title: 'Instances by state', unit: 'instances', cols: function () {
      return [{ name: 'instances_registering', label: 'registering', c: '#7f7f7f', dash: true },
        { name: 'instances_active', label: 'ACTIVE', c: '#1f77b4' },
        { name: 'instances_draining', label: 'DRAINING', c: '#d0701a' },
        { name: 'instances_in_use', label: 'in use (with tasks)', c: '#2ca02c' },
        { name: 'instances_spot', label: 'spot', c: '#9467bd', dash: true }];
    } },
    { key: 'tasks', title: 'Desired vs running tasks', unit: 'tasks', cols: taskCols },
    { key: 'cost', title: 'Cost rate', unit: 'USD per hour', cols: function (r) {
      var out = [{ name: 'ec2_usd_per_hour', label: 'EC2 instances alive', c: '#8c564b' }];
      if (r && r.series.fargate_usd_per_hour) out.push({ name: 'fargate_usd_per_hour', label: 'Fargate tasks (billed that hour)', c: '#e377c2' });
      return out;
    } }
  ];
  CHARTS.forEach(function (ch) {
    var m = 0;
    RUNS.forEach(function (r) {
      m = Math.max(m, colMax(r, ch.cols(r).map(function (c) { return c.name; })));
    });
    ch.ymax = ch.fixed || niceMax(m * 1.05);
  });
  function niceMax(m) {
    if (m <= 0) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(m)));
    var steps = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10];
    for (var i = 0; i < steps.length; i++) { if (steps[i] * p >= m) return steps[i] * p; }
    return 10 * p;
  }

  var views = RUNS.map(function (r, k) { return buildRun(r, k); });

  function buildRun(r, k) {
    var col = html('section', { class: 'run', 'data-run': String(k) }, main);
    html('h2', {}, col, r.label);
    html('p', { class: 'sub' }, col, r.scenario + ', seed ' + r.seed + ' \u2014 ' +
      r.instances.length + ' instances, ' + r.tasks.length + ' tasks on EC2, ' +
      r.decisions.length + ' of ' + r.decisionsTotal + ' placements narrated');
    var legend = html('div', { class: 'legend' }, col);
    r.owners.forEach(function (o, i) {
      var s = html('span', {}, legend, o + (i < r.services ? ' (service)' : ' (job)'));
      s.style.setProperty('--c', color(i));
    });
    var cluster = svg('svg', { class: 'cluster', role: 'img', 'aria-label': 'Cluster view' }, col);
    var dec = html('div', { class: 'decision' }, col);
    var charts = CHARTS.map(function (ch) { return chart(col, r, ch); });
    html('h3', {}, col, 'Events (click to move the clock there)');
    var list = html('ul', { class: 'events' }, col);
    var items = r.events.map(function (e) {
      var li = html('li', {}, list, hhmmss(e[0]) + '  ' + e[1] + ': ' + e[3]);
      li.addEventListener('click', function () { jump(e[0]); });
      return li;
    });
    if (!r.events.length) html('li', {}, list, '(no events)');
    // Tasks in placement order, for the gauges.
    var order = r.tasks.slice().sort(function (a, b) { return (a[T.pending] - b[T.pending]) || (a[T.id] - b[T.id]); });
    var maxCpu = 1, maxMem = 1;
    r.instances.forEach(function (i) { maxCpu = Math.max(maxCpu, i[I.cpu]); maxMem = Math.max(maxMem, i[I.mem]); });
    return { r: r, cluster: cluster, dec: dec, charts: charts, items: items, order: order, maxCpu: maxCpu, maxMem: maxMem };
  }

  // ---- Charts ---------------------------------------------------------------
  function xOf(t) { return ML + (CW - ML - MR) * t / horizon; }
  function tOf(x) { return Math.max(0, Math.min(horizon, (x - ML) / (CW - ML - MR) * horizon)); }
  function chart(col, r, ch) {
    var cols = ch.cols(r).filter(function (c) { return r.series[c.name]; });
    html('h3', {}, col, ch.title + ' (' + ch.unit + ')');
    var legend = html('div', { class: 'legend' }, col);
    cols.forEach(function (c) {
      var s = html('span', { class: c.dash ? 'dash' : '' }, legend, c.label);
      s.style.setProperty('--c', c.c);
    });
    var s = svg('svg', { class: 'chart chart-' + ch.key, viewBox: '0 0 ' + CW + ' ' + CH }, col);
    var y0 = CH - MB, y1 = MT;
    function yOf(v) { return y0 - (y0 - y1) * v / ch.ymax; }
    // Grid and y ticks.
    for (var i = 0; i <= 5; i++) {
      var v = ch.ymax * i / 5, y = yOf(v);
      svg('line', { class: 'grid', x1: ML, x2: CW - MR, y1: y, y2: y }, s);
      svg('text', { x: ML - 6, y: y + 4, 'text-anchor': 'end' }, s).textContent = fmt(v);
    }
    // x ticks on round wall-clock times.
    var steps = [300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];
    var step = steps.find(function (st) { return horizon / st <= 10; }) || 604800;
    var first = Math.ceil((start) / step) * step - start;
    for (var t = first; t <= horizon; t += step) {
      var x = xOf(t);
      svg('line', { class: 'grid', x1: x, x2: x, y1: y1, y2: y0 }, s);
      svg('text', { x: x, y: y0 + 16, 'text-anchor': 'middle' }, s).textContent = tick(t, step);
    }
    svg('line', { class: 'axis', x1: ML, x2: CW - MR, y1: y0, y2: y0 }, s);
    svg('line', { class: 'axis', x1: ML, x2: ML, y1: y1, y2: y0 }, s);
    svg('text', { x: (ML + CW - MR) / 2, y: CH - 4, 'text-anchor': 'middle' }, s).textContent =
      'time (UTC, ' + day(0) + (day(horizon) !== day(0) ? ' to ' + day(horizon) : '') + ')';
    svg('text', { x: 14, y: (y0 + y1) / 2, 'text-anchor': 'middle', transform: 'rotate(-90 14 ' + (y0 + y1) / 2 + ')' }, s).textContent = ch.unit;
    var ts = r.series.time_s;
    cols.forEach(function (c) {
      var ys = r.series[c.name], d = '';
      for (var k = 0; k < ts.length; k++) {
        if (ys[k] === null) continue;
        d += (d ? 'L' : 'M') + xOf(ts[k]).toFixed(1) + ' ' + yOf(ys[k]).toFixed(1);
        // Hold the value until the next sample (step line).
        if (k + 1 < ts.length) d += 'L' + xOf(ts[k + 1]).toFixed(1) + ' ' + yOf(ys[k]).toFixed(1);
      }
      svg('path', { d: d, fill: 'none', stroke: c.c, 'stroke-width': 2.2, 'stroke-dasharray': c.dash ? '7 4' : null }, s)
        .appendChild(svg('title', {})).textContent = c.label;
    });
    // Event markers: click to move the clock there.
    r.events.forEach(function (e) {
      var x = xOf(e[0]);
      var g = svg('g', { class: 'marker' }, s);
      svg('line', { x1: x, x2: x, y1: y1, y2: y0, stroke: markColor(e[2]), 'stroke-opacity': 0.45, 'stroke-dasharray': '3 3' }, g);
      svg('path', { d: 'M' + (x - 7) + ' ' + (y1 - 12) + 'L' + (x + 7) + ' ' + (y1 - 12) + 'L' + x + ' ' + y1 + 'Z', fill: markColor(e[2]) }, g);
      svg('rect', { x: x - 8, y: y1 - 14, width: 16, height: y0 - y1 + 14, fill: 'transparent' }, g);
      svg('title', {}, g).textContent = hhmmss(e[0]) + ' ' + e[1] + ': ' + e[3];
      g.addEventListener('click', function (ev) { ev.stopPropagation(); jump(e[0]); });
    });
    var cursor = svg('line', { class: 'cursor', x1: ML, x2: ML, y1: y1, y2: y0 }, s);
    s.addEventListener('click', function (ev) {
      var p = s.createSVGPoint(); p.x = ev.clientX; p.y = ev.clientY;
      var q = p.matrixTransform(s.getScreenCTM().inverse());
      if (q.x >= ML && q.x <= CW - MR) setTime(Math.round(tOf(q.x)));
    });
    return cursor;
  }
  // Clock time within a day; the date too when the run spans days.
  function tick(t, step) {
    if (horizon <= 86400) return hhmm(t);
    var md = day(t).slice(5);
    return step >= 86400 || hhmm(t) === '00:00' ? md : md + ' ' + hhmm(t);
  }
  function fmt(v) { return v >= 100 || v === Math.round(v) ? String(Math.round(v)) : v.toFixed(v < 1 ? 2 : 1); }
  function markColor(kind) {
    if (/spot|interrupt|rebalance|reclaim/.test(kind)) return '#d62728';
    if (/deploy/.test(kind)) return '#9467bd';
    if (/az|outage|zone/.test(kind)) return '#8c564b';
    if (/desired|scal|alarm|capacity/.test(kind)) return '#1f77b4';
    return '#555';
  }

  // ---- The moment shown -----------------------------------------------------
  // The decision a run shows: the one stepped to, or the last one made at or
  // before the clock.
  function decisionOf(r) {
    if (state.begin) return null;
    if (state.dec) return r.decisions[state.dec - 1] || null;
    var best = null;
    for (var i = 0; i < r.decisions.length && r.decisions[i][D.t] <= state.t; i++) best = r.decisions[i];
    return best;
  }
  // A task holds a place on its instance from PENDING until STOPPED. When a
  // decision is stepped to, the tasks placed by later decisions at the same
  // instant are not there yet.
  function holds(task, t, decNum) {
    var p = task[T.pending];
    if (p === null || p > t) return false;
    if (p === t && (decNum || state.begin) && task[T.dec] !== null && task[T.dec] > decNum) return false;
    return task[T.stopped] === null || task[T.stopped] > t;
  }

  function drawCluster(v, decision) {
    var r = v.r, s = v.cluster, t = state.t;
    while (s.firstChild) s.removeChild(s.firstChild);
    var byInst = {};
    v.order.forEach(function (task) {
      if (holds(task, t, state.dec ? state.dec : 0)) (byInst[task[T.inst]] = byInst[task[T.inst]] || []).push(task);
    });
    var alive = [];
    r.instances.forEach(function (i, k) {
      if (i[I.launched] <= t && (i[I.terminated] === null || i[I.terminated] > t)) alive.push(k);
    });
    var compact = alive.length > 120;
    var W = WIDE, y = 6, chosen = decision ? decision[D.inst] : null;
    var filtered = decision && decision[D.filtered] ? decision[D.filtered] : [];
    // Many instances: small cells, sized so that the whole cluster fits.
    var cell = Math.max(4, Math.min(18, Math.floor(Math.sqrt(WIDE * 250 / Math.max(1, alive.length)))));
    var BW = compact ? cell : WIDE * 0.3 - 10, BH = compact ? cell : 130;
    r.azs.forEach(function (az) {
      var here = alive.filter(function (k) { return r.instances[k][I.az] === az; });
      var n = 0, per = r.owners.map(function () { return 0; });
      here.forEach(function (k) {
        (byInst[k] || []).forEach(function (tk) { n++; per[tk[T.owner]]++; });
      });
      // The AZ balance: tasks per service or job in this AZ.
      var split = r.owners.map(function (o, j) { return per[j] ? o + ' ' + per[j] : ''; })
        .filter(function (x) { return x; }).join(', ');
      svg('text', { x: 4, y: y + 18, 'font-size': 18, 'font-weight': 600 }, s).textContent =
        az + ' \u2014 ' + here.length + ' instance' + (here.length === 1 ? '' : 's') + ', ' + n + ' task' + (n === 1 ? '' : 's') +
        (split ? ' (' + split + ')' : '');
      y += 28;
      var x = 4, rowH = 0;
      here.forEach(function (k) {
        var i = r.instances[k];
        var bw = compact ? BW : Math.max(40, BW * i[I.cpu] / v.maxCpu);
        var bh = compact ? BH : Math.max(30, BH * i[I.mem] / v.maxMem);
        var lab = compact ? 0 : 40;
        if (x + bw > W - 4) { x = 4; y += rowH + (compact ? Math.max(1, cell / 5) : 10); rowH = 0; }
        var tasks = byInst[k] || [];
        var st = (i[I.registered] === null || i[I.registered] > t) ? 'registering'
          : (i[I.draining] !== null && i[I.draining] <= t) ? 'draining' : 'active';
        var g = svg('g', { class: 'inst ' + st + (k === chosen ? ' chosen' : '') +
          (filtered.indexOf(k) >= 0 ? ' filtered' : ''), 'data-id': i[I.id],
          'data-az': az, 'data-tasks': tasks.length }, s);
        var cpuUsed = 0, memUsed = 0;
        tasks.forEach(function (tk) { cpuUsed += tk[T.cpu]; memUsed += tk[T.mem]; });
        svg('title', {}, g).textContent = i[I.id] + ' ' + i[I.type] + ' ' + az + ' ' + i[I.purchase] +
          ' (' + st.toUpperCase() + '): ' + tasks.length + ' tasks, ' + cpuUsed + ' / ' + i[I.cpu] + ' cpu units, ' +
          memUsed + ' / ' + i[I.mem] + ' MiB reserved';
        if (!compact) {
          svg('text', { x: x, y: y + 15, 'font-size': 15, 'font-weight': 600 }, g).textContent =
            shortId(i[I.id]) + ' ' + i[I.type] + (i[I.purchase] === 'spot' ? ' spot' : '') + (st !== 'active' ? ' ' + st.toUpperCase() : '');
          svg('text', { x: x, y: y + 33, 'font-size': 13 }, g).textContent =
            tasks.length + ' task' + (tasks.length === 1 ? '' : 's') + ' \u00b7 CPU ' + pct(cpuUsed, i[I.cpu]) +
            ' \u00b7 MEM ' + pct(memUsed, i[I.mem]);
        }
        var by = y + lab;
        svg('rect', { class: 'box', x: x, y: by, width: bw, height: bh, rx: 2 }, g);
        if (compact) {
          var f = i[I.cpu] ? Math.min(1, cpuUsed / i[I.cpu]) : 0;
          svg('rect', { x: x + 1, y: by + bh - 1 - (bh - 2) * f, width: bw - 2, height: (bh - 2) * f,
            fill: tasks.length ? color(tasks[0][T.owner]) : 'none' }, g);
        } else {
          // Two gauges: the tasks' CPU reservations along the top half and
          // their memory reservations along the bottom half, one segment per
          // task, as shares of the registered amount; free capacity is the
          // white that is left.
          var gh = (bh - 9) / 2;
          [[T.cpu, i[I.cpu], 'CPU'], [T.mem, i[I.mem], 'MEM']].forEach(function (res, row) {
            var cx = 0, gy = by + 3 + row * (gh + 3);
            tasks.forEach(function (tk) {
              var w = (bw - 6) * tk[res[0]] / Math.max(1, res[1]);
              var stopping = tk[T.stopping] !== null && tk[T.stopping] <= t;
              var pending = tk[T.running] === null || tk[T.running] > t;
              var tile = svg('rect', { class: row ? 'task-mem' : 'task', 'data-task': tk[T.id], x: x + 3 + cx, y: gy,
                width: Math.max(w, 1), height: gh, fill: color(tk[T.owner]),
                'fill-opacity': stopping ? 0.3 : pending ? 0.55 : 0.9, stroke: '#fff', 'stroke-width': 1 }, g);
              svg('title', {}, tile).textContent = 'task ' + tk[T.id] + ' (' + r.owners[tk[T.owner]] + '), ' +
                (stopping ? 'STOPPING' : pending ? 'PENDING' : 'RUNNING') + ', ' + tk[T.cpu] + ' cpu, ' + tk[T.mem] + ' MiB';
              cx += w;
            });
            if (gh >= 12) {
              svg('text', { x: x + bw - 6, y: gy + gh / 2 + 5, 'text-anchor': 'end', 'font-size': 12, fill: '#555' }, g)
                .textContent = res[2];
            }
          });
        }
        x += bw + (compact ? Math.max(1, cell / 5) : 16);
        rowH = Math.max(rowH, bh + lab);
      });
      y += rowH + (compact ? 6 : 14);
    });
    if (!r.instances.length) {
      svg('text', { x: 8, y: 30, 'font-size': 16 }, s).textContent = 'No EC2 instances in this run (its tasks run on Fargate)';
      y = 40;
    }
    s.setAttribute('viewBox', '0 0 ' + W + ' ' + Math.max(60, y));
  }

  function drawDecision(v, decision) {
    var r = v.r, box = v.dec;
    while (box.firstChild) box.removeChild(box.firstChild);
    if (state.evT !== null) drawEvent(v);
    if (!decision) {
      html('div', { class: 'dec-head' }, box, state.dec ? 'No decision ' + state.dec + ' in this run'
        : 'No placement decision yet: press \u201cDecision \u25b6\u201d to step through them');
      return;
    }
    html('div', { class: 'dec-head' }, box, 'decision ' + decision[D.num] + ' at ' + decision[D.when] + ' for ' + decision[D.source] + ':');
    html('div', { class: 'dec-wall' }, box, 'wall clock ' + day(decision[D.t]) + ' ' + hhmmss(decision[D.t]) + ' UTC' +
      (decision[D.inst] !== null ? '; chosen instance ' + r.instances[decision[D.inst]][I.id] + ' (highlighted)' : '') +
      (decision[D.filtered].length ? '; ' + decision[D.filtered].length + ' filtered out (greyed)' : ''));
    html('pre', { class: 'dec-text' }, box, decision[D.text]);
  }

  // What happened at a marked event: tasks stopped and tasks placed in the
  // two minutes after it (scale-in victims, interrupted tasks, replacements).
  function drawEvent(v) {
    var r = v.r, box = v.dec, t0 = state.evT, t1 = t0 + 130;
    r.events.filter(function (e) { return e[0] === t0; }).forEach(function (e) {
      html('div', { class: 'dec-head' }, box, 'event at ' + hhmmss(e[0]) + ' UTC: ' + e[3]);
    });
    var stopped = [], placed = [];
    v.order.forEach(function (tk) {
      var s = tk[T.stopping] !== null ? tk[T.stopping] : tk[T.stopped];
      if (s !== null && s >= t0 && s <= t1) stopped.push(tk);
      if (tk[T.pending] !== null && tk[T.pending] >= t0 && tk[T.pending] <= t1) placed.push(tk);
    });
    function line(tk, what) {
      var i = r.instances[tk[T.inst]];
      return 'task ' + tk[T.id] + ' (' + r.owners[tk[T.owner]] + ') ' + what + ' ' + i[I.id] + ' (' + i[I.az] + ')';
    }
    var ul = html('ul', { class: 'moves' }, box);
    stopped.slice(0, 25).forEach(function (tk) {
      html('li', {}, ul, line(tk, 'stopped on') + (tk[T.reason] !== null ? ': ' + r.reasons[tk[T.reason]] : ''));
    });
    placed.slice(0, 25).forEach(function (tk) { html('li', {}, ul, line(tk, 'placed on')); });
    if (stopped.length + placed.length > 50) html('li', {}, ul, '\u2026 ' + (stopped.length + placed.length - 50) + ' more');
    if (!stopped.length && !placed.length) html('li', {}, ul, 'no task stopped or placed in the two minutes after it');
  }

  function render() {
    var t = state.t;
    slider.value = String(Math.round(t));
    document.getElementById('clock').textContent = day(t) + ' ' + hhmmss(t) + ' UTC';
    document.getElementById('decnum').textContent = state.dec ? 'decision ' + state.dec + ' of ' + maxDec : maxDec + ' decisions';
    views.forEach(function (v) {
      var d = decisionOf(v.r);
      drawCluster(v, d);
      drawDecision(v, d);
      v.charts.forEach(function (c) { c.setAttribute('x1', xOf(t)); c.setAttribute('x2', xOf(t)); });
      v.items.forEach(function (li, k) { li.classList.toggle('now', v.r.events[k][0] === state.evT); });
    });
  }

  function setTime(t) { state.t = Math.max(0, Math.min(horizon, t)); state.dec = 0; state.evT = null; state.begin = false; render(); }
  // An event: the clock moves there and the decision view (listing the
  // tasks stopped and placed after it) comes into sight.
  function jump(t) {
    state.t = t; state.dec = 0; state.evT = t; state.begin = false; render();
    if (views[0].dec.scrollIntoView) views[0].dec.scrollIntoView({ block: 'center' });
  }
  function stepTo(n) {
    if (n < 1 || n > maxDec) return;
    state.dec = n; state.evT = null; state.begin = false;
    for (var k = 0; k < RUNS.length; k++) {
      var d = RUNS[k].decisions[n - 1];
      if (d) { state.t = d[D.t]; break; }
    }
    render();
  }
  function current() {
    if (state.dec) return state.dec;
    var d = decisionOf(RUNS[0]);
    return d ? d[D.num] : 0;
  }
  function step(delta) {
    var n = current();
    // From a free clock, "next" is the first decision after it.
    if (state.begin) n = 0;
    else if (!state.dec && delta > 0) {
      var after = RUNS[0].decisions.find(function (d) { return d[D.t] > state.t; });
      n = after ? after[D.num] - 1 : n;
    }
    stepTo(n + delta);
  }

  slider.addEventListener('input', function () { setTime(Number(slider.value)); });
  document.getElementById('next').addEventListener('click', function () { step(1); });
  var go = document.getElementById('goto');
  go.max = String(maxDec);
  go.addEventListener('change', function () { stepTo(Math.round(Number(go.value))); });
  document.getElementById('prev').addEventListener('click', function () { step(-1); });
  var play = document.getElementById('play');
  var last = null;
  function frame(now) {
    if (!state.playing) return;
    if (last !== null) {
      var speed = Number(document.getElementById('speed').value);
      state.t = Math.min(horizon, state.t + speed * (now - last) / 1000);
      state.dec = 0; state.evT = null; state.begin = false;
      render();
      if (state.t >= horizon) { toggle(); return; }
    }
    last = now;
    requestAnimationFrame(frame);
  }
  function toggle() {
    state.playing = !state.playing;
    play.innerHTML = state.playing ? '&#10074;&#10074; Pause' : '&#9654; Play';
    last = null;
    if (state.playing) requestAnimationFrame(frame);
  }
  play.addEventListener('click', toggle);
  document.addEventListener('keydown', function (e) {
    if (e.target && (e.target.tagName === 'SELECT' || e.target.tagName === 'INPUT')) return;
    if (e.key === ' ') { e.preventDefault(); toggle(); }
    else if (e.key === 'ArrowRight') step(1);
    else if (e.key === 'ArrowLeft') step(-1);
  });
  render();
})();
