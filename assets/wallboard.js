// The wallboard: one row per live call, kept up to date by the feed. Rows are
// keyed by call id and only the cells whose values changed are touched, once per
// animation frame however many messages arrived; the order changes only when the
// sort says so. Recent calls below, alerts as toasts.
(function () {
  "use strict";
  var L = TwLive;
  var body = document.body;
  window.addEventListener("error", function (e) { body.dataset.renderError = e.message || "script error"; });

  var STAGE_RANK = { venting: 3, escalating: 2, disarming: 1, calm: 0 };
  var SPARK_S = 300, SPARK_W = 180, SPARK_H = 40;
  var NS = "http://www.w3.org/2000/svg";
  var tbody = document.getElementById("rows");
  var recentBody = document.getElementById("recent-rows");
  var calls = new Map();   // id -> {row, spark: [[t, v]...], el, cells, shown: {}}
  var recent = new Map();  // id -> {row, el}
  var dirty = new Set();
  var orderDirty = true, recentDirty = false, frame = 0, fallback = 0;
  var filters = { stage: "", agent: "" };
  var sortBy = "risk";
  // How many DOM writes each frame made: a check that updates stay proportional to change.
  window.twWallboardStats = { frames: 0, writes: 0, lastFrameMs: 0, maxFrameMs: 0, rows: 0 };

  function schedule() {
    if (frame) return;
    frame = requestAnimationFrame(flush);
    // A hidden tab gets no animation frames: draw anyway, less often.
    fallback = setTimeout(flush, 250);
  }

  function svg(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }

  // The agent, and in a fleet (docs/fleet.md) the instance that holds the call, and where
  // its other party went when the two streams reached different instances.
  function who(r) {
    var parts = [];
    if (r.agent) parts.push("agent " + r.agent);
    if (r.instance) parts.push("on " + r.instance);
    if (r.split) parts.push("split: " + r.split);
    return parts.join(" \u00b7 ");
  }

  function makeRow(id) {
    var tr = document.createElement("tr");
    tr.dataset.call = id;
    var c = {};
    c.call = L.node("td", "c-call", null, tr);
    c.link = L.node("a", "id", id, c.call);
    c.link.href = "/calls/" + encodeURIComponent(id);
    c.agent = L.node("span", "agent", "", c.call);
    c.dur = L.node("td", "c-dur", "", tr);
    c.stage = L.node("td", "c-stage", "", tr);
    c.ag = L.node("td", "c-ag", null, tr);
    c.agValue = L.node("span", "value", "", c.ag);
    c.agBar = L.node("span", "meter", null, c.ag);
    c.agFill = L.node("i", null, null, c.agBar);
    c.trend = L.node("td", "c-trend", null, tr);
    c.svg = svg("svg", { width: SPARK_W, height: SPARK_H, viewBox: "0 0 " + SPARK_W + " " + SPARK_H, "class": "spark", "aria-hidden": "true" }, c.trend);
    svg("line", { x1: 0, x2: SPARK_W, y1: SPARK_H / 2, y2: SPARK_H / 2, "class": "mid" }, c.svg);
    c.line = svg("polyline", { points: "", "class": "line" }, c.svg);
    c.flags = L.node("td", "c-flags", null, tr);
    c.air = L.node("td", "c-air", null, tr);
    c.alerts = L.node("td", "c-alerts", null, tr);
    c.alertText = L.node("span", "alert-text", "", c.alerts);
    c.ack = L.node("button", "ack", "Acknowledge", c.alerts);
    c.ack.type = "button";
    c.ack.hidden = true;
    c.ack.addEventListener("click", function (e) {
      e.stopPropagation();
      c.ack.disabled = true;
      Promise.all(L.openAlerts(id).map(function (a) { return L.acknowledge(a.call, a.seq); }))
        .catch(function (err) { c.ack.title = err.message; })
        .then(function () { c.ack.disabled = false; });
    });
    tr.addEventListener("click", function (e) {
      if (e.target.closest("a,button")) return;
      window.location.href = "/calls/" + encodeURIComponent(id);
    });
    return { row: null, spark: [], el: tr, cells: c, shown: {} };
  }

  // Sets a cell's text, counting only real changes.
  function put(entry, field, el, text) {
    if (entry.shown[field] === text) return;
    entry.shown[field] = text;
    el.textContent = text;
    window.twWallboardStats.writes += 1;
  }
  function putClass(entry, field, el, cls) {
    if (entry.shown[field] === cls) return;
    entry.shown[field] = cls;
    el.className = cls;
    window.twWallboardStats.writes += 1;
  }

  function sparkPoints(spark) {
    if (!spark.length) return "";
    // The last five minutes; a younger call fills the width from its first minute on.
    var end = spark[spark.length - 1][0], out = [];
    var span = Math.max(60, Math.min(SPARK_S, end - spark[0][0]));
    for (var i = 0; i < spark.length; ++i) {
      var t = spark[i][0], v = spark[i][1];
      if (t < end - span || !L.finite(v)) continue;
      var x = SPARK_W - (end - t) / span * SPARK_W;
      out.push(x.toFixed(1) + "," + (SPARK_H - 2 - Math.max(0, Math.min(1, v)) * (SPARK_H - 4)).toFixed(1));
    }
    return out.join(" ");
  }

  function render(id, entry) {
    var r = entry.row, c = entry.cells;
    put(entry, "agent", c.agent, who(r));
    put(entry, "dur", c.dur, L.clock(r.duration_s));
    var stage = r.analysing || r.duration_s > 0 ? r.stage : "waiting";
    putClass(entry, "stageClass", c.stage, "c-stage st-" + stage);
    put(entry, "stage", c.stage, r.error ? "not analysed" : stage);
    // The smoothed agitation holds between the caller's words; it is shown muted
    // while this second could not be scored, and as a dash before the first score.
    var known = L.finite(r.agitation) && (r.scored || r.agitation > 0);
    put(entry, "ag", c.agValue, known ? r.agitation.toFixed(2) : "\u2014");
    var level = !known ? "none" : r.agitation >= 0.7 ? "high" : r.agitation >= 0.45 ? "raised" : "low";
    putClass(entry, "agClass", c.ag, "c-ag lvl-" + level + (known && !r.scored ? " held" : ""));
    var width = known ? Math.round(Math.max(0, Math.min(1, r.agitation)) * 100) : 0;
    if (entry.shown.width !== width) { entry.shown.width = width; c.agFill.style.width = width + "%"; window.twWallboardStats.writes += 1; }
    var points = sparkPoints(entry.spark);
    if (entry.shown.points !== points) { entry.shown.points = points; c.line.setAttribute("points", points); window.twWallboardStats.writes += 1; }
    var flags = (r.flags || []).join(",");
    if (entry.shown.flags !== flags) {
      entry.shown.flags = flags;
      c.flags.textContent = "";
      (r.flags || []).forEach(function (f) { L.node("span", "chip flag-" + f, L.flagName(f), c.flags); });
      window.twWallboardStats.writes += 1;
    }
    var air = r.dead_air ? "dead air" : "";
    if (entry.shown.air !== air) {
      entry.shown.air = air;
      c.air.textContent = "";
      if (air) L.node("span", "chip air", air, c.air);
      window.twWallboardStats.writes += 1;
    }
    var open = L.openAlerts(id);
    var alertText = open.length ? (open.length > 1 ? open.length + " alerts: " : "") + L.alertTitle(open[0]) : "";
    put(entry, "alertText", c.alertText, alertText);
    if (c.ack.hidden !== !open.length) { c.ack.hidden = !open.length; window.twWallboardStats.writes += 1; }
    var cls = "row st-" + stage + (open.length ? " alerting" : "") + (matches(r) ? "" : " filtered");
    putClass(entry, "rowClass", entry.el, cls);
  }

  function risk(r) {
    var open = L.openAlerts(r.call).length;
    // Agitation in steps of 0.1, so rows do not trade places on every small change.
    return [open > 0 ? 1 : 0, STAGE_RANK[r.stage] || 0, Math.floor((r.agitation || 0) * 10)];
  }
  function compare(a, b) {
    var ra = a.row, rb = b.row;
    if (sortBy === "duration") return (rb.duration_s - ra.duration_s) || (ra.call < rb.call ? -1 : 1);
    if (sortBy === "agent") return String(ra.agent || "\uffff").localeCompare(String(rb.agent || "\uffff")) || (ra.call < rb.call ? -1 : 1);
    if (sortBy === "call") return ra.call < rb.call ? -1 : ra.call > rb.call ? 1 : 0;
    var ka = risk(ra), kb = risk(rb);
    for (var i = 0; i < ka.length; ++i) if (ka[i] !== kb[i]) return kb[i] - ka[i];
    return ra.call < rb.call ? -1 : 1;
  }
  function matches(r) {
    if (filters.stage === "alerts" && !L.openAlerts(r.call).length) return false;
    if (filters.stage && filters.stage !== "alerts" && r.stage !== filters.stage) return false;
    if (filters.agent && String(r.agent || "").toLowerCase().indexOf(filters.agent) < 0) return false;
    return true;
  }

  function flush() {
    cancelAnimationFrame(frame);
    clearTimeout(fallback);
    frame = 0;
    var started = performance.now();
    dirty.forEach(function (id) {
      var entry = calls.get(id);
      if (entry) render(id, entry);
    });
    dirty.clear();
    if (orderDirty) {
      orderDirty = false;
      var sorted = Array.from(calls.values()).sort(compare);
      // Moves only the rows that are out of place.
      for (var i = 0; i < sorted.length; ++i) {
        if (tbody.children[i] !== sorted[i].el) { tbody.insertBefore(sorted[i].el, tbody.children[i] || null); window.twWallboardStats.writes += 1; }
      }
      var agents = {};
      calls.forEach(function (e) { if (e.row.agent) agents[e.row.agent] = true; });
      var list = document.getElementById("agents"), names = Object.keys(agents).sort();
      if (list.dataset.names !== names.join("\n")) {
        list.dataset.names = names.join("\n");
        list.textContent = "";
        names.forEach(function (n) { var o = document.createElement("option"); o.value = n; list.appendChild(o); });
      }
    }
    if (recentDirty) { recentDirty = false; renderRecent(); }
    document.getElementById("empty").hidden = calls.size > 0;
    document.getElementById("count-calls").textContent = calls.size;
    document.getElementById("count-alerts").textContent = L.openCount();
    var stats = window.twWallboardStats;
    stats.frames += 1;
    stats.rows = calls.size;
    stats.lastFrameMs = performance.now() - started;
    stats.maxFrameMs = Math.max(stats.maxFrameMs, stats.lastFrameMs);
    body.dataset.rendered = "ok";
  }

  function upsert(row, spark) {
    var entry = calls.get(row.call), created = false;
    if (!entry) {
      created = true;
      entry = makeRow(row.call);
      calls.set(row.call, entry);
      tbody.appendChild(entry.el);
      orderDirty = true;
    }
    if (spark) {
      entry.spark = [];
      for (var i = 0; i < row.spark.length; ++i) entry.spark.push([row.spark_end_s - (row.spark.length - 1 - i), row.spark[i]]);
    } else if (row.scored !== undefined && L.finite(row.agitation)) {
      var last = entry.spark.length ? entry.spark[entry.spark.length - 1][0] : -1;
      if (row.t > last) entry.spark.push([row.t, row.agitation]);
      while (entry.spark.length && entry.spark[0][0] < row.t - SPARK_S) entry.spark.shift();
    }
    entry.row = row;
    // A new row is filled in before it is ever painted, never shown half-built
    // until the next frame; later changes wait for the frame.
    if (created) render(row.call, entry);
    orderDirty = true;  // sorting is cheap; only rows out of place are moved
    dirty.add(row.call);
  }

  function removeCall(id) {
    var entry = calls.get(id);
    if (!entry) return;
    calls.delete(id);
    if (entry.el.parentNode) entry.el.parentNode.removeChild(entry.el);
  }

  // ---- recent calls ----
  function stageStrip(stages, duration) {
    var w = 220, h = 16;
    var s = svg("svg", { width: w, height: h, viewBox: "0 0 " + w + " " + h, "class": "strip", role: "img" });
    var total = Math.max(1, duration || 0);
    (stages || []).forEach(function (st) {
      var x0 = st[1] / total * w, x1 = st[2] / total * w;
      if (!(x1 > x0)) return;
      var r = svg("rect", { x: x0.toFixed(1), y: 0, width: Math.max(1, x1 - x0).toFixed(1), height: h, "class": "band st-" + st[0] }, s);
      svg("title", {}, r).textContent = st[0] + " " + L.clock(st[1]) + "\u2013" + L.clock(st[2]);
    });
    s.setAttribute("aria-label", (stages || []).map(function (st) { return st[0]; }).join(", "));
    return s;
  }
  function addRecent(r) {
    var old = recent.get(r.call);
    if (old && old.el.parentNode) old.el.parentNode.removeChild(old.el);
    var tr = document.createElement("tr");
    tr.dataset.call = r.call;
    var c = L.node("td", "c-call", null, tr);
    var a = L.node("a", "id", r.call, c);
    a.href = "/calls/" + encodeURIComponent(r.call);
    L.node("span", "agent", who(r), c);
    L.node("td", "ended", L.timeOfDay(r.ended_unix_ms), tr);
    L.node("td", "len", L.clock(r.duration_s), tr);
    L.node("td", "verdict", r.error ? "not analysed: " + r.error : r.verdict, tr);
    L.node("td", "stages", null, tr).appendChild(stageStrip(r.stages, r.duration_s));
    var rep = L.node("td", "report", null, tr);
    if (r.report) { var link = L.node("a", null, "report", rep); link.href = r.report; }
    // Alerts the call ended with, unacknowledged: closed with the call (not counted
    // open above), still to be acknowledged here.
    var entry = { row: r, el: tr, pending: (r.unacknowledged || []).slice() };
    var cell = L.node("td", "c-alerts", null, tr);
    entry.alertText = L.node("span", "alert-text", "", cell);
    entry.ack = L.node("button", "ack", "Acknowledge", cell);
    entry.ack.type = "button";
    entry.ack.addEventListener("click", function () {
      entry.ack.disabled = true;
      Promise.all(entry.pending.slice().map(function (seq) {
        return L.acknowledge(r.call, seq).then(function () { recentAcknowledged(r.call, seq); });
      }))
        .catch(function (err) { entry.ack.title = err.message; })
        .then(function () { entry.ack.disabled = false; });
    });
    showPending(entry);
    L.callEnded(r.call);
    recent.set(r.call, entry);
    recentDirty = true;
  }
  function showPending(entry) {
    var n = entry.pending.length;
    entry.alertText.textContent = n ? n + (n === 1 ? " alert" : " alerts") + " unacknowledged " : "";
    entry.ack.hidden = n === 0;
  }
  function recentAcknowledged(call, seq) {
    var entry = recent.get(call);
    if (!entry) return;
    entry.pending = entry.pending.filter(function (s) { return s !== seq; });
    showPending(entry);
  }
  function renderRecent() {
    var list = Array.from(recent.values()).sort(function (a, b) { return (b.row.ended_unix_ms || 0) - (a.row.ended_unix_ms || 0); });
    for (var i = 0; i < list.length; ++i) {
      if (recentBody.children[i] !== list[i].el) recentBody.insertBefore(list[i].el, recentBody.children[i] || null);
    }
    document.getElementById("recent-empty").hidden = recent.size > 0;
  }

  // ---- the feed ----
  function agentOf(call) { var e = calls.get(call); return e && e.row ? e.row.agent : null; }
  var handlers = {
    snapshot: function (m) {
      var seen = new Set();
      m.calls.forEach(function (r) { seen.add(r.call); upsert(r, true); });
      Array.from(calls.keys()).forEach(function (id) { if (!seen.has(id)) removeCall(id); });
      recent.forEach(function (e) { if (e.el.parentNode) e.el.parentNode.removeChild(e.el); });
      recent.clear();
      m.recent.forEach(addRecent);
      L.setOpen(m.alerts);
      orderDirty = true;
      calls.forEach(function (e, id) { dirty.add(id); });
      schedule();
    },
    tick: function (m) {
      m.calls.forEach(function (r) { upsert(r, false); });
      m.gone.forEach(removeCall);
      m.recent.forEach(addRecent);
      schedule();
    },
    alert: function (m) {
      var a = m.alert;
      L.raise(a, agentOf(a.call));
      var entry = calls.get(a.call);
      if (entry) {
        // Lights up at once, not at the next frame: the supervisor's eye goes to the row.
        render(a.call, entry);
        entry.el.classList.remove("flash");
        void entry.el.offsetWidth;
        entry.el.classList.add("flash");
        entry.el.dataset.alertShownMs = String(Date.now());
      }
      orderDirty = true;
      schedule();
    },
    ack: function (m) { L.acknowledged(m.call, m.seq); recentAcknowledged(m.call, m.seq); }
  };
  L.onAlertsChanged(function () { calls.forEach(function (e, id) { dirty.add(id); }); orderDirty = true; schedule(); });

  document.getElementById("filter-stage").addEventListener("change", function (e) {
    filters.stage = e.target.value;
    calls.forEach(function (e2, id) { dirty.add(id); });
    schedule();
  });
  document.getElementById("filter-agent").addEventListener("input", function (e) {
    filters.agent = e.target.value.trim().toLowerCase();
    calls.forEach(function (e2, id) { dirty.add(id); });
    schedule();
  });
  document.getElementById("sort").addEventListener("change", function (e) { sortBy = e.target.value; orderDirty = true; schedule(); });

  L.toggles();
  L.identify().catch(function () { /* the login page takes over */ });
  L.connect("/dashboard/feed", handlers);
  schedule();
})();
