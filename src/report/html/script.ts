/**
 * The HTML report's one script, inlined and admitted by its hash in the page's
 * Content-Security-Policy. It reads the findings from the page's JSON block and draws the
 * findings table a page at a time, with filters and a text search. Data only ever reaches the
 * page through `textContent`, attribute values and `option` labels, never as markup.
 * Plain ES2017 with no template literals (it lives in one), and ASCII only, so its hash does not
 * depend on an encoding.
 */
export const SCRIPT = String.raw`
(function () {
  'use strict';
  var RANK = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };
  var NO_NS = '\u0000';
  var byId = function (id) { return document.getElementById(id); };
  var data = JSON.parse(byId('mamori-data').textContent);
  var items = data.findings;
  var rules = data.rules;
  var pageSize = data.pageSize;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function nsOf(f) { return f.ns === undefined ? NO_NS : f.ns; }
  function objectName(f) { return (f.ns === undefined ? '' : f.ns + '/') + (f.name === '' ? '(unnamed)' : f.name); }
  function locationOf(f) { return f.file === undefined ? '-' : f.file + ':' + f.line + ':' + f.col; }
  function ruleOf(f) { return Object.prototype.hasOwnProperty.call(rules, f.rule) ? rules[f.rule] : { title: f.rule }; }

  // What the text search looks through, lower-cased once: searching 10,000 rows is then a scan of strings.
  var haystack = items.map(function (f) {
    return [f.rule, ruleOf(f).title, f.kind, f.ns === undefined ? '' : f.ns, f.name, f.msg, f.path,
      f.file === undefined ? '' : locationOf(f), f.sup ? f.sup.reason : ''].join('\n').toLowerCase();
  });

  var filters = byId('filters');
  var boxes = Array.prototype.slice.call(filters.querySelectorAll('input[name=severity]'));
  var phase = byId('f-phase');
  var ns = byId('f-ns');
  var kind = byId('f-kind');
  var rule = byId('f-rule');
  var status = byId('f-status');
  var sort = byId('f-sort');
  var query = byId('f-q');
  var table = byId('f-table');
  var tbody = table.tBodies[0];
  var statusLine = byId('f-status-line');
  var pager = byId('f-pager');
  var prev = byId('f-prev');
  var next = byId('f-next');
  var pageLabel = byId('f-page');
  var matching = [];
  var page = 0;

  function fillSelect(select, key, label) {
    var counts = new Map();
    items.forEach(function (f) { var k = key(f); counts.set(k, (counts.get(k) || 0) + 1); });
    var keys = Array.from(counts.keys()).sort(function (a, b) { return a < b ? -1 : a > b ? 1 : 0; });
    var frag = document.createDocumentFragment();
    keys.forEach(function (k) {
      var o = el('option', '', label(k) + ' (' + counts.get(k) + ')');
      o.value = k;
      frag.appendChild(o);
    });
    select.appendChild(frag);
  }
  fillSelect(ns, nsOf, function (k) { return k === NO_NS ? '(no namespace)' : k; });
  fillSelect(kind, function (f) { return f.kind; }, function (k) { return k; });
  fillSelect(rule, function (f) { return f.rule; }, function (k) { return k; });

  function compute() {
    var sev = new Set(boxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; }));
    var p = phase.value, n = ns.value, k = kind.value, r = rule.value, s = status.value;
    var terms = query.value.toLowerCase().split(/\s+/).filter(function (t) { return t !== ''; });
    var out = [];
    for (var i = 0; i < items.length; i++) {
      var f = items[i];
      if (!sev.has(f.sev)) continue;
      if (p !== '' && f.phase !== p) continue;
      if (n !== '' && nsOf(f) !== n) continue;
      if (k !== '' && f.kind !== k) continue;
      if (r !== '' && f.rule !== r) continue;
      if (s === 'open' && f.sup) continue;
      if (s === 'suppressed' && !f.sup) continue;
      var h = haystack[i], all = true;
      for (var t = 0; t < terms.length && all; t++) all = h.indexOf(terms[t]) >= 0;
      if (!all) continue;
      out.push(i);
    }
    if (sort.value === 'severity') out.sort(function (a, b) { return RANK[items[a].sev] - RANK[items[b].sev] || a - b; });
    return out;
  }

  function cell(label, cls) {
    var td = el('td', cls);
    td.setAttribute('data-label', label);
    return td;
  }

  function suppressionText(sup) {
    return 'Suppressed by ' + sup.by + ': ' + sup.reason + (sup.expires ? ' (until ' + sup.expires + ')' : '');
  }

  function row(i) {
    var f = items[i];
    var tr = el('tr', f.sup ? 'finding suppressed' : 'finding');
    tr.setAttribute('data-i', String(i));
    var c = cell('Severity', 'c-sev');
    c.appendChild(el('span', 'sev s-' + f.sev, f.sev));
    if (f.sup) { c.appendChild(document.createTextNode(' ')); c.appendChild(el('span', 'badge', 'suppressed')); }
    tr.appendChild(c);
    c = cell('Rule', 'c-rule');
    c.appendChild(el('code', 'rid', f.rule));
    c.appendChild(el('div', 'rtitle', ruleOf(f).title));
    tr.appendChild(c);
    c = cell('Object', 'c-obj');
    c.appendChild(el('div', 'okind', f.kind));
    c.appendChild(el('div', 'oname', objectName(f)));
    tr.appendChild(c);
    c = cell('Location', 'c-loc');
    c.appendChild(el('code', 'loc', locationOf(f)));
    tr.appendChild(c);
    c = cell('Finding', 'c-msg');
    c.appendChild(el('div', 'msg', f.msg));
    c.appendChild(el('code', 'path', f.path));
    if (f.sup) c.appendChild(el('div', 'supinfo', suppressionText(f.sup)));
    var d = el('details');
    d.setAttribute('data-i', String(i));
    d.appendChild(el('summary', '', 'Remediation and details'));
    c.appendChild(d);
    tr.appendChild(c);
    return tr;
  }

  // Rule prose marks code with backquotes: those spans become code elements, as text.
  function prose(text) {
    var parts = text.split('\u0060');
    if (parts.length % 2 === 0) return text;
    var frag = document.createDocumentFragment();
    parts.forEach(function (part, k) {
      if (part === '') return;
      frag.appendChild(k % 2 === 1 ? el('code', '', part) : document.createTextNode(part));
    });
    return frag;
  }

  // Details are filled when first opened: a page of rows stays cheap to draw.
  function fillDetails(d) {
    var f = items[Number(d.getAttribute('data-i'))];
    var r = ruleOf(f);
    var dl = el('dl', 'detail');
    function add(term, value) {
      dl.appendChild(el('dt', '', term));
      var dd = el('dd', 'd-' + term.toLowerCase().replace(/[^a-z]+/g, '-'));
      if (typeof value === 'string') dd.textContent = value; else dd.appendChild(value);
      dl.appendChild(dd);
    }
    add('Remediation', r.remediation === undefined ? 'No remediation is recorded for this rule.' : prose(r.remediation));
    if (r.description !== undefined) add('Why it matters', prose(r.description));
    add('Field', f.path + (f.paths ? '\n' + f.paths.join('\n') : ''));
    add('Controls', f.controls.join(', ') + ' (' + f.phase + ')');
    add('Object', f.api + ' ' + f.kind + ' ' + objectName(f));
    if (f.pss !== undefined) add('Pod Security', f.pss);
    if (f.fix) add('Fix', 'An automatic fix is available: mamori fix');
    if (f.sup) add('Suppressed', suppressionText(f.sup));
    if (r.doc) {
      var a = el('a', '', f.rule);
      a.href = data.docs + encodeURIComponent(f.rule) + '.md';
      a.rel = 'noopener noreferrer';
      a.target = '_blank';
      add('Documentation', a);
    }
    d.appendChild(dl);
    d.setAttribute('data-filled', '1');
  }
  tbody.addEventListener('toggle', function (e) {
    var d = e.target;
    if (d && d.tagName === 'DETAILS' && d.open && !d.hasAttribute('data-filled')) fillDetails(d);
  }, true);

  function draw() {
    var total = matching.length;
    var pages = Math.max(1, Math.ceil(total / pageSize));
    if (page >= pages) page = pages - 1;
    var start = page * pageSize;
    var end = Math.min(total, start + pageSize);
    var frag = document.createDocumentFragment();
    for (var j = start; j < end; j++) frag.appendChild(row(matching[j]));
    tbody.replaceChildren(frag);
    table.hidden = total === 0;
    statusLine.textContent = total === 0
      ? 'No findings match the filters (' + items.length + ' in the report).'
      : 'Showing ' + (start + 1) + '\u2013' + end + ' of ' + total + ' matching findings (' + items.length + ' in the report).';
    statusLine.setAttribute('data-matching', String(total));
    pager.hidden = pages <= 1;
    pageLabel.textContent = 'Page ' + (page + 1) + ' of ' + pages;
    prev.disabled = page === 0;
    next.disabled = page >= pages - 1;
  }

  function update() {
    matching = compute();
    page = 0;
    draw();
  }

  [phase, ns, kind, rule, status, sort].forEach(function (s) { s.addEventListener('change', update); });
  boxes.forEach(function (b) { b.addEventListener('change', update); });
  query.addEventListener('input', update);
  prev.addEventListener('click', function () { if (page > 0) { page--; draw(); table.scrollIntoView({ block: 'start' }); } });
  next.addEventListener('click', function () { page++; draw(); table.scrollIntoView({ block: 'start' }); });
  byId('f-reset').addEventListener('click', function () {
    boxes.forEach(function (b) { b.checked = true; });
    [phase, ns, kind, rule, status, sort].forEach(function (s) { s.value = ''; });
    query.value = '';
    update();
  });

  // A phase of the chart shows its findings when clicked.
  Array.prototype.forEach.call(document.querySelectorAll('#phase-chart .bar[data-phase]'), function (bar) {
    var go = function () {
      phase.value = bar.getAttribute('data-phase');
      update();
      filters.scrollIntoView({ block: 'start' });
    };
    bar.classList.add('link');
    bar.tabIndex = 0;
    bar.setAttribute('role', 'button');
    bar.setAttribute('aria-label', 'Show the findings of phase ' + bar.getAttribute('data-phase'));
    bar.addEventListener('click', go);
    bar.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); go(); } });
  });

  filters.hidden = false;
  update();
})();
`;
