// The live call view: the report's charts (assets/charts.js) drawn from the call's
// timeline so far and drawn again each second as it grows, the events so far, the
// call's open alerts; when the call ends, a link to its finished report. The feed
// (?call=ID) says when there is a new second; the timeline endpoint then gives
// only the seconds after the last one this page has (?after_s=).
// <body> carries data-rendered="ok" after each drawing, or data-render-error.
(function () {
  "use strict";
  var L = TwLive;
  var body = document.body;
  function fail(message) { body.dataset.renderError = String(message); delete body.dataset.rendered; }
  window.addEventListener("error", function (e) { fail(e.message || "script error"); });

  var id = decodeURIComponent(location.pathname.split("/")[2] || "");
  document.getElementById("call-id").textContent = id;
  document.title = "tonewatch \u2014 call " + id;
  var charts = TwCharts.create({ root: document, tip: document.getElementById("tip"), readout: document.getElementById("readout") });
  var data = null;        // the report so far
  var lastT = -1;         // the newest second this page has
  var loading = false, again = false, ended = false, row = null;
  var eventRows = document.getElementById("event-rows");
  var shownEvents = 0;

  function lastTime(d) {
    var t = -1;
    Object.keys(d.series || {}).forEach(function (r) {
      var ts = d.series[r].time_s;
      if (ts.length) t = Math.max(t, ts[ts.length - 1]);
    });
    return t;
  }

  // Appends the new seconds to each speaker's columns; everything else is whole in every answer.
  function merge(update) {
    if (!data || update.after_s === null || update.after_s === undefined) return update;
    var series = data.series || {};
    Object.keys(update.series || {}).forEach(function (role) {
      var add = update.series[role], have = series[role];
      if (!have) { series[role] = add; return; }
      var end = have.time_s.length ? have.time_s[have.time_s.length - 1] : -1;
      for (var i = 0; i < add.time_s.length; ++i) {
        if (add.time_s[i] <= end) continue;
        Object.keys(add).forEach(function (col) { if (have[col]) have[col].push(add[col][i]); });
      }
    });
    update.series = series;
    return update;
  }

  function load() {
    if (loading) { again = true; return; }
    loading = true;
    var incremental = data && data.live && lastT >= 0;
    fetch("/api/calls/" + encodeURIComponent(id) + "/timeline" + (incremental ? "?after_s=" + lastT : ""), { cache: "no-store" })
      .then(function (r) {
        if (r.status === 404) { document.getElementById("missing").hidden = !!data; return null; }
        if (r.status === 401) { window.location.href = "/login?next=" + encodeURIComponent(location.pathname); return null; }
        if (!r.ok) throw new Error("timeline: HTTP " + r.status);
        return r.json();
      })
      .then(function (update) {
        if (!update) return;
        document.getElementById("missing").hidden = true;
        data = merge(update);
        lastT = lastTime(data);
        draw();
        if (!data.live) showEnded(data.report, data.verdict);
      })
      .catch(function (e) { fail(e.message); })
      .then(function () {
        loading = false;
        if (again) { again = false; load(); }
      });
  }

  function draw() {
    try {
      charts.draw(data);
      renderEvents();
      if (!body.dataset.renderError) body.dataset.rendered = "ok";
      body.dataset.seconds = String(Math.max(0, Math.floor(lastT)));
    } catch (e) {
      fail(e && e.message ? e.message : e);
      if (window.console) console.error(e);
    }
  }

  // ---- the events so far (the report's table, built as they come) ----
  function evidenceTable(evidence, parent) {
    var t = L.node("table", "evid", null, parent);
    var hr = L.node("tr", null, null, L.node("thead", null, null, t));
    ["feature", "value", "baseline", "deviation", "since"].forEach(function (h) { L.node("th", null, h, hr); });
    var tb = L.node("tbody", null, null, t);
    evidence.forEach(function (x) {
      var tr = L.node("tr", null, null, tb);
      L.node("td", null, ((data.ui || {}).features || {})[x.feature] || L.words(x.feature), tr).title = x.feature;
      L.node("td", null, L.fmt(x.value), tr);
      L.node("td", null, L.fmt(x.baseline), tr);
      L.node("td", null, L.finite(x.deviation) ? (x.deviation >= 0 ? "+" : "") + x.deviation.toFixed(1) : "\u2014", tr);
      L.node("td", null, L.finite(x.since_s) ? L.clock(x.since_s) : "\u2014", tr);
    });
  }
  function renderEvents() {
    var events = data.events || [], ui = data.ui || {};
    var marked = {};
    (ui.marks || []).forEach(function (m) { marked[m[0]] = true; });
    // The list only grows while the call is live; a shorter one (the finished report) is drawn anew.
    if (events.length < shownEvents || !data.live) { eventRows.textContent = ""; shownEvents = 0; }
    for (var i = shownEvents; i < events.length; ++i) {
      var e = events[i];
      var tr = L.node("tr", "sev-" + e.severity + " kind-" + e.kind, null, eventRows);
      tr.id = "ev-" + i;
      var t = L.node("td", "t", null, tr);
      if (marked[i]) {
        var a = L.node("a", null, L.clock(e.time_s), t);
        a.href = "#";
        a.dataset.ev = i;
        a.addEventListener("click", function (ev) {
          ev.preventDefault();
          ev.stopPropagation();
          var k = +this.dataset.ev, mk = charts.markerOf(k);
          if (mk) { mk.closest(".chart").scrollIntoView({ block: "center" }); charts.pin(k); }
        });
      } else {
        t.textContent = L.clock(e.time_s);
      }
      var sev = L.node("td", null, null, tr);
      L.node("span", "badge " + e.severity, e.severity, sev);
      if (e.kind === "alert") L.node("span", "badge alert", "alert", sev);
      var what = L.node("td", null, L.words(e.type) + (e.details && e.details.reason ? ": " + L.words(e.details.reason) : ""), tr);
      if (e.state !== "instant") L.node("span", "state", e.state === "opened" ? "began" : "ended", what);
      L.node("td", null, e.speaker || "call", tr);
      var msg = L.node("td", null, e.message, tr);
      if ((ui.explanations || [])[i]) L.node("div", "why", ui.explanations[i], msg);
      var ev = L.node("td", null, null, tr);
      if (e.evidence && e.evidence.length) evidenceTable(e.evidence, ev);
    }
    shownEvents = events.length;
    var alerts = events.filter(function (x) { return x.kind === "alert"; }).length;
    document.getElementById("event-count").textContent = "(" + alerts + " alerts, " + events.length + " events)";
  }

  // ---- the header and the call's open alerts ----
  function showRow(r) {
    row = r;
    document.getElementById("agent").textContent = r.agent ? "agent " + r.agent : "";
    var stage = document.getElementById("stage");
    stage.textContent = r.stage;
    stage.className = "stage-badge st-" + r.stage;
    document.getElementById("duration").textContent = L.clock(r.duration_s);
  }
  function showAlerts() {
    var box = document.getElementById("call-alerts");
    box.textContent = "";
    L.openAlerts(id).forEach(function (a) {
      var div = L.node("div", "call-alert sev-" + a.severity, null, box);
      L.node("b", null, L.alertTitle(a), div);
      L.node("span", "msg", " " + L.clock(a.time_s) + " \u2014 " + a.message + " ", div);
      var ack = L.node("button", "ack", "Acknowledge", div);
      ack.type = "button";
      ack.addEventListener("click", function () {
        ack.disabled = true;
        L.acknowledge(a.call, a.seq).catch(function (e) { ack.disabled = false; ack.title = e.message; });
      });
    });
  }
  function showEnded(report, verdict) {
    ended = true;
    document.getElementById("ended").hidden = false;
    var link = document.getElementById("report-link");
    if (report) { link.href = report; link.hidden = false; } else { link.hidden = true; }
    if (verdict) document.getElementById("verdict").textContent = verdict;
    var stage = document.getElementById("stage");
    stage.textContent = "ended";
    stage.className = "stage-badge st-ended";
    body.dataset.ended = "1";
  }

  L.onAlertsChanged(showAlerts);
  var handlers = {
    snapshot: function (m) {
      L.setOpen(m.alerts);
      var mine = m.calls.filter(function (r) { return r.call === id; })[0];
      if (mine) { showRow(mine); load(); return; }
      var done = m.recent.filter(function (r) { return r.call === id; })[0];
      if (done) { showRow({ call: id, agent: done.agent, stage: "calm", duration_s: done.duration_s }); }
      load();  // a finished call: its report's data
    },
    tick: function (m) {
      m.calls.forEach(function (r) {
        if (r.call !== id) return;
        var before = row;
        showRow(r);
        if (!before || r.t !== before.t || r.stage !== before.stage) load();
      });
      if (m.gone.indexOf(id) >= 0) load();  // ended: its outputs are written, the report is whole
      m.recent.forEach(function (r) { if (r.call === id) showEnded(r.report, r.verdict); });
    },
    alert: function (m) { L.raise(m.alert, m.alert.call === id && row ? row.agent : null); },
    ack: function (m) { L.acknowledged(m.call, m.seq); }
  };

  var resizeTimer = 0, lastWidth = window.innerWidth;
  window.addEventListener("resize", function () {
    if (window.innerWidth === lastWidth || !data) return;
    lastWidth = window.innerWidth;
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(draw, 150);
  });
  L.toggles();
  L.identify().catch(function () { /* the login page takes over */ });
  L.connect("/dashboard/feed?call=" + encodeURIComponent(id), handlers);
})();
