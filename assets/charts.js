// Charts of one call's timeline on one time axis: agitation with the stage bands,
// loudness, pitch, speaking rate and turn taking, with markers for alerts that show
// their message and evidence, and a cursor that reads every value at a second.
// Shared by the call report (drawn once from its embedded JSON) and the
// dashboard's live call view (drawn again each second as the call grows).
// Vanilla JS, no libraries, no network: reports open offline.
//
//   var charts = TwCharts.create({ root: element, tip: element, readout: element });
//   charts.draw(report);   // report: call_report_json plus its "ui" block; again as it grows
//   charts.pin(i);         // opens event i's details next to its marker
var TwCharts = (function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var LEFT = 64, RIGHT = 18, STRIP = 26, AXIS = 20;

  function create(options) {
    var root = options.root || document;
    var tip = options.tip;
    var readout = options.readout || null;
    var readoutIdle = readout ? readout.textContent : "";
    var data = null, ui = {}, events = [], roles = [], duration = 1;
    var charts = [];     // {svg, x, cursor} per drawn chart, for the shared cursor
    var pinned = null;   // index of the event whose details stay open
    var cursorAt = null; // the second under the pointer, kept across redraws

    function el(name, attrs, parent) {
      var e = document.createElementNS(NS, name);
      for (var k in attrs) e.setAttribute(k, attrs[k]);
      if (parent) parent.appendChild(e);
      return e;
    }
    function html(name, cls, text, parent) {
      var e = document.createElement(name);
      if (cls) e.className = cls;
      if (text !== undefined && text !== null) e.textContent = text;
      if (parent) parent.appendChild(e);
      return e;
    }
    function finite(v) { return typeof v === "number" && isFinite(v); }
    function clock(t) {
      t = Math.max(0, Math.floor(t));
      var h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), s = t % 60;
      var ss = (s < 10 ? "0" : "") + s;
      return h ? h + ":" + (m < 10 ? "0" : "") + m + ":" + ss : m + ":" + ss;
    }
    function fmt(v) {
      if (!finite(v)) return "\u2014";
      var a = Math.abs(v);
      return v.toFixed(a >= 100 ? 0 : a >= 10 ? 1 : 2);
    }
    function niceStep(span, count) {
      var raw = span / Math.max(1, count), p = Math.pow(10, Math.floor(Math.log10(raw))), f = raw / p;
      return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * p;
    }
    function words(s) { return String(s || "").replace(/_/g, " "); }

    function frame(id, height, extraClass) {
      var box = root.querySelector("#" + id);
      box.textContent = "";
      var width = Math.max(520, Math.floor(box.clientWidth || 0));
      var svg = el("svg", { width: width, height: height, viewBox: "0 0 " + width + " " + height,
                            "class": extraClass || "", role: "img" }, box);
      var plotW = width - LEFT - RIGHT;
      var x = function (t) { return LEFT + Math.max(0, Math.min(1, t / duration)) * plotW; };
      var c = { id: id, svg: svg, width: width, height: height, x: x, plotW: plotW };
      return c;
    }

    function timeAxis(c, top, bottom, labels) {
      var steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200];
      var step = steps[steps.length - 1];
      for (var i = 0; i < steps.length; ++i) { if (steps[i] * c.plotW / duration >= 70) { step = steps[i]; break; } }
      var g = el("g", {}, c.svg);
      for (var t = 0; t <= duration + 1e-9; t += step) {
        var xx = c.x(t).toFixed(1);
        el("line", { x1: xx, x2: xx, y1: top, y2: bottom, "class": "grid" }, g);
        if (labels) el("text", { x: xx, y: bottom + 14, "text-anchor": "middle", "class": "tick" }, g).textContent = clock(t);
      }
      el("line", { x1: LEFT, x2: LEFT + c.plotW, y1: bottom, y2: bottom, "class": "axis" }, g);
    }

    function stageBands(c, top, height) {
      var g = el("g", {}, c.svg);
      (data.stages || []).forEach(function (s) {
        var x0 = c.x(s.start_s), x1 = c.x(s.end_s);
        if (!(x1 > x0)) return;
        el("rect", { x: x0.toFixed(1), y: top, width: (x1 - x0).toFixed(1), height: height, "class": "band st-" + s.stage }, g)
          .appendChild(el("title", {})).textContent = s.stage + " " + clock(s.start_s) + "\u2013" + clock(s.end_s);
      });
    }

    function linePath(ts, vs, x, y) {
      var d = [], pen = false;
      for (var i = 0; i < ts.length; ++i) {
        var v = vs[i];
        if (!finite(v)) { pen = false; continue; }
        d.push((pen ? "L" : "M") + x(ts[i]).toFixed(1) + " " + y(v).toFixed(1));
        pen = true;
      }
      return d.join("");
    }

    function extent(field) {
      var lo = Infinity, hi = -Infinity;
      roles.forEach(function (r) {
        data.series[r][field].forEach(function (v) { if (finite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; } });
      });
      return [lo, hi];
    }

    function cursorLine(c, top, bottom) {
      c.cursor = el("line", { x1: 0, x2: 0, y1: top, y2: bottom, "class": "cursor", visibility: "hidden" }, c.svg);
      c.svg.addEventListener("mousemove", function (e) {
        var r = c.svg.getBoundingClientRect();
        var t = (e.clientX - r.left - LEFT) / c.plotW * duration;
        if (t < 0 || t > duration) { hideCursor(); return; }
        showCursor(t);
      });
      c.svg.addEventListener("mouseleave", hideCursor);
      charts.push(c);
    }

    // One chart of a per-second feature, every speaker on the same axes.
    function lineChart(id, field, opts) {
      var top = opts.markers ? STRIP : 8, plotH = opts.plotH;
      var c = frame(id, top + plotH + AXIS, opts.faint ? "faint" : "");
      var y0 = top + plotH;
      var lo, hi, noData = false;
      if (opts.domain) { lo = opts.domain[0]; hi = opts.domain[1]; }
      else {
        var e = extent(field); lo = e[0]; hi = e[1];
        if (!finite(lo)) { lo = 0; hi = 1; noData = true; }
        if (hi - lo < opts.minSpan) { var mid = (hi + lo) / 2; lo = mid - opts.minSpan / 2; hi = mid + opts.minSpan / 2; }
        var step0 = niceStep(hi - lo, 3);
        lo = Math.floor(lo / step0) * step0; hi = Math.ceil(hi / step0) * step0;
      }
      var y = function (v) { return y0 - (v - lo) / (hi - lo) * plotH; };
      stageBands(c, top, plotH);
      var g = el("g", {}, c.svg);
      var step = niceStep(hi - lo, opts.ticks || 3);
      for (var v = lo; v <= hi + step * 1e-6; v += step) {
        var yy = y(v).toFixed(1);
        el("line", { x1: LEFT, x2: LEFT + c.plotW, y1: yy, y2: yy, "class": "grid" }, g);
        el("text", { x: LEFT - 6, y: +yy + 4, "class": "ylab" }, g).textContent = +v.toFixed(2);
      }
      timeAxis(c, top, y0, true);
      if (opts.score) {
        roles.forEach(function (r) {
          var s = data.series[r];
          var vs = s.score.map(function (v, i) { return s.scored[i] ? v : null; });
          el("path", { d: linePath(s.time_s, vs, c.x, y), "class": "sc " + r }, c.svg);
        });
      }
      roles.forEach(function (r) {
        var s = data.series[r];
        el("path", { d: linePath(s.time_s, s[field], c.x, y), "class": "ln " + r }, c.svg)
          .appendChild(el("title", {})).textContent = r;
      });
      if (noData) el("text", { x: LEFT + c.plotW / 2, y: top + plotH / 2, "class": "nodata" }, c.svg).textContent = "not measured";
      cursorLine(c, top, y0);
      c.top = top; c.bottom = y0;
      return c;
    }

    function turnsChart() {
      var rows = roles.map(function (r) { return { label: r, kind: "speech", role: r }; })
        .concat([{ label: "talk-over", kind: "overlap" }, { label: "silence", kind: "silence" }]);
      var rowH = 18, gap = 4, top = STRIP;
      var bottom = top + rows.length * (rowH + gap);
      var c = frame("chart-turns", bottom + AXIS);
      timeAxis(c, top, bottom, true);
      rows.forEach(function (row, k) {
        var y = top + k * (rowH + gap) + gap / 2;
        el("rect", { x: LEFT, y: y, width: c.plotW, height: rowH, "class": "lane" }, c.svg);
        el("text", { x: LEFT - 6, y: y + rowH / 2 + 4, "class": "rowlab" }, c.svg).textContent = row.label;
        if (row.kind === "speech") {
          // Voice-active share of the summary window, as a step area.
          var s = data.series[row.role], d = [], base = (y + rowH).toFixed(1);
          for (var i = 0; i < s.time_s.length; ++i) {
            var share = finite(s.speech_s[i]) ? Math.max(0, Math.min(1, s.speech_s[i] / (ui.speech_window_s || 3))) : 0;
            var t1 = s.time_s[i], t0 = i > 0 ? s.time_s[i - 1] : Math.max(0, t1 - 1);
            var top1 = (y + rowH - share * rowH).toFixed(1);
            d.push((i === 0 ? "M" + c.x(t0).toFixed(1) + " " + base + "L" : "L") + c.x(t0).toFixed(1) + " " + top1 +
                   "L" + c.x(t1).toFixed(1) + " " + top1);
          }
          if (d.length) el("path", { d: d.join("") + "L" + c.x(s.time_s[s.time_s.length - 1]).toFixed(1) + " " + base + "Z",
                                     "class": "act " + row.role }, c.svg);
        } else {
          var list = row.kind === "overlap" ? data.overlaps : data.silences;
          (list || []).forEach(function (iv) {
            var x0 = c.x(iv.start_s), x1 = c.x(iv.end_s);
            el("rect", { x: x0.toFixed(1), y: y + 2, width: Math.max(1.5, x1 - x0).toFixed(1), height: rowH - 4,
                         "class": row.kind === "overlap" ? "ovl" : "sil" }, c.svg)
              .appendChild(el("title", {})).textContent = row.label + " " + clock(iv.start_s) + ", " +
                (iv.end_s - iv.start_s).toFixed(1) + " s";
          });
        }
      });
      cursorLine(c, top, bottom);
      c.top = top; c.bottom = bottom;
      return c;
    }

    // ---- markers and their details ----
    function markers(c, chartName) {
      var g = el("g", {}, c.svg);
      var lastX = -1e9, row = 0;
      (ui.marks || []).forEach(function (m) {
        if (m[1] !== chartName) return;
        var i = m[0], ev = events[i];
        if (!ev || !finite(ev.time_s)) return;
        var x = c.x(ev.time_s);
        row = x - lastX < 13 ? (row + 1) % 2 : 0;
        lastX = x;
        var cy = row ? 19 : 8, alert = ev.kind === "alert";
        var mk = el("g", { "class": "mk sev-" + ev.severity + " kind-" + ev.kind, tabindex: 0, role: "button",
                           "data-ev": i, "aria-label": clock(ev.time_s) + " " + words(ev.type) + ": " + ev.message }, g);
        el("line", { x1: x.toFixed(1), x2: x.toFixed(1), y1: cy + 6, y2: c.bottom, "class": "guide" }, mk);
        el("rect", { x: (x - 8).toFixed(1), y: cy - 8, width: 16, height: 16, "class": "hit" }, mk);
        var r = alert ? 7 : 5.5, d;
        if (ev.severity === "critical") d = "M" + (x - r) + " " + (cy - r + 1) + "L" + (x + r) + " " + (cy - r + 1) + "L" + x + " " + (cy + r) + "Z";
        else if (ev.severity === "warning") d = "M" + x + " " + (cy - r) + "L" + (x + r) + " " + cy + "L" + x + " " + (cy + r) + "L" + (x - r) + " " + cy + "Z";
        else d = "M" + (x - r * 0.8) + " " + cy + "a" + r * 0.8 + " " + r * 0.8 + " 0 1 0 " + r * 1.6 + " 0a" + r * 0.8 + " " + r * 0.8 + " 0 1 0 " + (-r * 1.6) + " 0";
        el("path", { d: d, "class": "shape" }, mk);
        mk.addEventListener("mouseenter", function () { if (pinned === null) showTip(i, mk); });
        mk.addEventListener("mouseleave", function () { if (pinned === null) hideTip(); });
        mk.addEventListener("focus", function () { if (pinned === null) showTip(i, mk); });
        mk.addEventListener("blur", function () { if (pinned === null) hideTip(); });
        mk.addEventListener("click", function (e) { e.stopPropagation(); togglePin(i, mk); });
        mk.addEventListener("keydown", function (e) {
          if (e.key === "Enter" || e.key === " ") { e.preventDefault(); togglePin(i, mk); }
        });
      });
    }

    function markerOf(i) { return root.querySelector('.mk[data-ev="' + i + '"]'); }
    function togglePin(i, mk) {
      if (pinned === i) { pinned = null; hideTip(); return; }
      pinned = i; showTip(i, mk);
    }
    function highlightRow(i) {
      Array.prototype.forEach.call(document.querySelectorAll("tr.hl"), function (tr) { tr.classList.remove("hl"); });
      Array.prototype.forEach.call(document.querySelectorAll(".mk.on"), function (m) { m.classList.remove("on"); });
      if (i === null) return;
      var row = document.getElementById("ev-" + i);
      if (row) row.classList.add("hl");
      var mk = markerOf(i);
      if (mk) mk.classList.add("on");
    }
    function hideTip() { tip.hidden = true; tip.textContent = ""; highlightRow(null); }

    function evidenceTable(evidence, parent) {
      var t = html("table", "evid", null, parent);
      var hr = html("tr", null, null, html("thead", null, null, t));
      ["feature", "value", "baseline", "deviation", "since"].forEach(function (h) { html("th", null, h, hr); });
      var tb = html("tbody", null, null, t);
      evidence.forEach(function (x) {
        var tr = html("tr", null, null, tb);
        var f = html("td", null, (ui.features || {})[x.feature] || words(x.feature), tr);
        f.title = x.feature;
        html("td", null, fmt(x.value), tr);
        html("td", null, fmt(x.baseline), tr);
        html("td", null, finite(x.deviation) ? (x.deviation >= 0 ? "+" : "") + x.deviation.toFixed(1) : "\u2014", tr);
        html("td", null, finite(x.since_s) ? clock(x.since_s) : "\u2014", tr);
      });
      return t;
    }

    function showTip(i, anchor) {
      var ev = events[i];
      tip.textContent = "";
      var head = html("div", "head", null, tip);
      html("span", "badge " + ev.severity, ev.severity, head);
      if (ev.kind === "alert") html("span", "badge alert", "alert", head);
      html("span", null, clock(ev.time_s) + (ev.speaker ? " \u00b7 " + ev.speaker : ""), head);
      if (pinned === i) {
        var close = html("button", "close", "\u00d7", head);
        close.setAttribute("aria-label", "close");
        close.addEventListener("click", function (e) { e.stopPropagation(); pinned = null; hideTip(); });
      }
      html("div", "type", words(ev.type) + (ev.details && ev.details.reason ? ": " + words(ev.details.reason) : ""), tip);
      html("p", "msg", ev.message, tip);
      var why = (ui.explanations || [])[i];
      if (why) html("p", "why", why, tip);
      if (ev.evidence && ev.evidence.length) evidenceTable(ev.evidence, tip);
      tip.hidden = false;
      var r = anchor.getBoundingClientRect(), w = tip.offsetWidth;
      var left = Math.max(8, Math.min(window.innerWidth - w - 8, r.left + r.width / 2 - w / 2));
      tip.style.left = (left + window.scrollX) + "px";
      tip.style.top = (r.top + window.scrollY + 22) + "px";
      highlightRow(i);
    }

    // ---- the shared cursor and readout ----
    function nearest(ts, t) {
      var lo = 0, hi = ts.length - 1;
      if (hi < 0) return -1;
      while (hi - lo > 1) { var mid = (lo + hi) >> 1; if (ts[mid] < t) lo = mid; else hi = mid; }
      return Math.abs(ts[lo] - t) <= Math.abs(ts[hi] - t) ? lo : hi;
    }
    function stageAt(t) {
      var st = data.stages || [];
      for (var k = 0; k < st.length; ++k) if (t >= st[k].start_s && t < st[k].end_s) return st[k].stage;
      return st.length ? st[st.length - 1].stage : "";
    }
    function showCursor(t) {
      cursorAt = t;
      charts.forEach(function (c) {
        var xx = c.x(t).toFixed(1);
        c.cursor.setAttribute("x1", xx); c.cursor.setAttribute("x2", xx); c.cursor.setAttribute("visibility", "visible");
      });
      if (!readout) return;
      readout.textContent = "";
      html("b", null, clock(t), readout);
      readout.appendChild(document.createTextNode(" \u00b7 " + stageAt(t)));
      roles.forEach(function (r) {
        var s = data.series[r], i = nearest(s.time_s, t);
        if (i < 0) return;
        var parts = ["agitation " + fmt(s.agitation[i]) + (s.scored[i] ? "" : " (not scored)"),
                     finite(s.loudness_db[i]) ? s.loudness_db[i].toFixed(0) + " dB" : "\u2014 dB",
                     finite(s.f0_median_hz[i]) ? s.f0_median_hz[i].toFixed(0) + " Hz" : "\u2014 Hz",
                     finite(s.speaking_rate_syl_per_s[i]) ? s.speaking_rate_syl_per_s[i].toFixed(1) + " syl/s" : "\u2014 syl/s"];
        readout.appendChild(document.createTextNode(" \u2003 "));
        html("span", r, r + ": " + parts.join(", "), readout);
      });
    }
    function hideCursor() {
      cursorAt = null;
      charts.forEach(function (c) { c.cursor.setAttribute("visibility", "hidden"); });
      if (readout) readout.textContent = readoutIdle;
    }

    function draw(report) {
      data = report || {};
      ui = data.ui || {};
      events = data.events || [];
      // Speakers in channel order (the series object's keys come sorted).
      roles = (data.speakers || []).map(function (s) { return s.role; })
        .filter(function (r) { return data.series && data.series[r] && data.series[r].time_s.length > 0; });
      duration = Math.max(1, data.duration_s || 0);
      roles.forEach(function (r) { var t = data.series[r].time_s; duration = Math.max(duration, t[t.length - 1] || 0); });
      // A redraw (the live view, a resize) keeps an open event and the cursor where they were.
      var keep = pinned, at = cursorAt;
      charts = [];
      pinned = null;
      hideTip();
      var ag = lineChart("chart-agitation", "agitation", { plotH: 150, domain: [0, 1], ticks: 4, markers: true, score: true });
      markers(ag, "agitation");
      lineChart("chart-loudness", "loudness_db", { plotH: 90, minSpan: 6, faint: true });
      lineChart("chart-f0", "f0_median_hz", { plotH: 90, minSpan: 20, faint: true });
      lineChart("chart-rate", "speaking_rate_syl_per_s", { plotH: 90, minSpan: 1, faint: true });
      markers(turnsChart(), "turns");
      if (keep !== null && markerOf(keep)) { pinned = keep; showTip(keep, markerOf(keep)); }
      if (at !== null && at <= duration) showCursor(at);
    }

    function pin(i) {
      var mk = markerOf(i);
      if (!mk) return false;
      pinned = i;
      showTip(i, mk);
      return true;
    }

    document.addEventListener("click", function (e) {
      if (pinned !== null && !tip.contains(e.target)) { pinned = null; hideTip(); }
    });
    document.addEventListener("keydown", function (e) { if (e.key === "Escape") { pinned = null; hideTip(); } });

    return { draw: draw, pin: pin, markerOf: markerOf };
  }

  return { create: create };
})();
