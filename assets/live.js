// What the wallboard and the live call view share: the pushed feed (a WebSocket
// that reconnects by itself and says so), who is watching, acknowledging alerts,
// and alerts as toasts, sound and browser notifications. Vanilla JS, no network
// beyond this server.
var TwLive = (function () {
  "use strict";

  // ---- words a supervisor reads ----
  var REASONS = {
    escalation: "Call escalating",
    venting_stalled: "Venting has stalled",
    relapse: "Caller escalated again",
    agent_broke_listening_rules: "Agent cut in on a venting caller"
  };
  var FLAGS = {
    agent_raised_voice: "raised voice",
    agent_fast_speech: "too fast",
    agent_slow_speech: "too slow",
    agent_interrupting: "interrupting",
    agent_monotone: "monotone",
    agent_monologue: "monologue"
  };
  var features = {};  // evidence feature -> readable name, from the feed's snapshot

  function words(s) { return String(s || "").replace(/_/g, " "); }
  function reasonOf(alert) { return (alert.details && alert.details.reason) || alert.type; }
  function alertTitle(alert) { return REASONS[reasonOf(alert)] || words(reasonOf(alert)); }
  function flagName(flag) { return FLAGS[flag] || words(flag); }
  function featureName(f) { return features[f] || words(f); }
  function finite(v) { return typeof v === "number" && isFinite(v); }
  function clock(t) {
    t = Math.max(0, Math.floor(t || 0));
    var h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), s = t % 60;
    var ss = (s < 10 ? "0" : "") + s;
    return h ? h + ":" + (m < 10 ? "0" : "") + m + ":" + ss : m + ":" + ss;
  }
  function fmt(v) {
    if (!finite(v)) return "\u2014";
    var a = Math.abs(v);
    return v.toFixed(a >= 100 ? 0 : a >= 10 ? 1 : 2);
  }
  function timeOfDay(ms) {
    if (!ms) return "";
    var d = new Date(ms);
    return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }
  function node(name, cls, text, parent) {
    var e = document.createElement(name);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function evidenceLine(x) {
    var s = featureName(x.feature) + " " + fmt(x.value);
    if (finite(x.deviation)) s += " (" + (x.deviation >= 0 ? "+" : "") + x.deviation.toFixed(1) + " vs baseline)";
    return s;
  }

  // ---- who is watching ----
  var me = { user: null, tokenRequired: false };
  function storedName() { try { return localStorage.getItem("tonewatch.user") || ""; } catch (e) { return ""; } }
  function showUser() {
    var el = document.getElementById("user-name");
    if (el) el.textContent = me.user || "?";
    var change = document.getElementById("change-user");
    if (change) change.hidden = me.tokenRequired;
  }
  function askName() {
    var dialog = document.getElementById("who-dialog"), input = document.getElementById("who-name");
    if (!dialog || !dialog.showModal) {
      var typed = window.prompt("Who is watching? Alerts you acknowledge carry this name.", me.user || "");
      if (typed && typed.trim()) setName(typed.trim());
      return;
    }
    input.value = me.user || "";
    dialog.showModal();
  }
  function setName(name) {
    me.user = name;
    try { localStorage.setItem("tonewatch.user", name); } catch (e) { /* private mode: kept for this page */ }
    showUser();
  }
  // The logged-in user when the server has a token; otherwise the name this browser was given.
  function identify() {
    var form = document.getElementById("who-form");
    if (form) form.addEventListener("submit", function () {
      var v = document.getElementById("who-name").value.trim();
      if (v) setName(v);
    });
    var change = document.getElementById("change-user");
    if (change) change.addEventListener("click", askName);
    return fetch("/api/whoami", { cache: "no-store" }).then(function (r) {
      if (r.status === 401) { toLogin(); throw new Error("not logged in"); }
      return r.json();
    }).then(function (who) {
      me.tokenRequired = !!who.token_required;
      me.user = who.user || storedName() || null;
      showUser();
      if (!me.user) askName();
      return me;
    });
  }
  function toLogin() { window.location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search); }

  // ---- alerts ----
  var open = {};  // "call#seq" -> alert, while unacknowledged
  var toasts = {}; // "call#seq" -> toast element
  var listeners = [];
  function key(call, seq) { return call + "#" + seq; }
  function openAlerts(call) {
    var out = [];
    for (var k in open) if (open[k].call === call) out.push(open[k]);
    out.sort(function (a, b) { return b.seq - a.seq; });
    return out;
  }
  function openCount() { return Object.keys(open).length; }
  function changed() { listeners.forEach(function (f) { f(); }); }
  function setOpen(list) {
    open = {};
    (list || []).forEach(function (a) { if (!a.acknowledged_by) open[key(a.call, a.seq)] = a; });
    for (var k in toasts) if (!open[k]) dropToast(k);
    changed();
  }

  function acknowledge(call, seq) {
    if (!me.user && !me.tokenRequired) { askName(); return Promise.reject(new Error("say who you are first")); }
    var url = "/api/alerts/" + encodeURIComponent(call) + "/" + seq + "/ack?user=" + encodeURIComponent(me.user || "");
    return fetch(url, { method: "POST" }).then(function (r) {
      if (r.status === 401) { toLogin(); throw new Error("not logged in"); }
      // 409: someone else was quicker; 404: the alert has left the server's history.
      if (r.status === 409 || r.status === 404) { acknowledged(call, seq); return null; }
      if (!r.ok) throw new Error("acknowledge failed: HTTP " + r.status);
      return r.json();
    }).then(function (ack) {
      acknowledged(call, seq);
      return ack;
    });
  }
  function acknowledged(call, seq) {
    delete open[key(call, seq)];
    dropToast(key(call, seq));
    changed();
  }
  // The call has ended: its alerts close with it (the server no longer counts them
  // open; the call's recent row offers to acknowledge them).
  function callEnded(call) {
    var any = false;
    for (var k in open) if (open[k].call === call) { delete open[k]; dropToast(k); any = true; }
    if (any) changed();
  }

  var prefs = { sound: false, notify: false };
  try { prefs.sound = localStorage.getItem("tonewatch.sound") === "1"; prefs.notify = localStorage.getItem("tonewatch.notify") === "1"; } catch (e) { /* defaults */ }
  var audio = null;
  function beep() {
    if (!prefs.sound) return;
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      [0, 0.22].forEach(function (at, i) {
        var o = audio.createOscillator(), g = audio.createGain();
        o.frequency.value = i ? 660 : 880;
        g.gain.setValueAtTime(0.0001, audio.currentTime + at);
        g.gain.exponentialRampToValueAtTime(0.25, audio.currentTime + at + 0.02);
        g.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + at + 0.18);
        o.connect(g); g.connect(audio.destination);
        o.start(audio.currentTime + at); o.stop(audio.currentTime + at + 0.2);
      });
    } catch (e) { /* no audio output */ }
  }
  function notifyBrowser(alert) {
    if (!prefs.notify || !window.Notification || Notification.permission !== "granted") return;
    try {
      var n = new Notification(alertTitle(alert) + " \u2014 " + alert.call, { body: alert.message, tag: key(alert.call, alert.seq) });
      n.onclick = function () { window.focus(); window.location.href = "/calls/" + encodeURIComponent(alert.call); };
    } catch (e) { /* notifications unavailable here */ }
  }
  function toggles() {
    var sound = document.getElementById("sound"), notify = document.getElementById("notify");
    function show() {
      if (sound) { sound.textContent = prefs.sound ? "Sound on" : "Sound off"; sound.setAttribute("aria-pressed", prefs.sound); }
      if (notify) { notify.textContent = prefs.notify ? "Notifications on" : "Notifications off"; notify.setAttribute("aria-pressed", prefs.notify); }
    }
    function save() {
      try { localStorage.setItem("tonewatch.sound", prefs.sound ? "1" : "0"); localStorage.setItem("tonewatch.notify", prefs.notify ? "1" : "0"); } catch (e) { /* kept for this page */ }
      show();
    }
    if (sound) sound.addEventListener("click", function () { prefs.sound = !prefs.sound; save(); if (prefs.sound) beep(); });
    if (notify) notify.addEventListener("click", function () {
      if (prefs.notify) { prefs.notify = false; save(); return; }
      if (!window.Notification) { notify.textContent = "Notifications unavailable"; return; }
      Notification.requestPermission().then(function (p) { prefs.notify = p === "granted"; save(); if (p !== "granted") notify.textContent = "Notifications blocked"; });
    });
    show();
  }

  function dropToast(k) {
    var t = toasts[k];
    if (!t) return;
    delete toasts[k];
    t.classList.add("gone");
    setTimeout(function () { if (t.parentNode) t.parentNode.removeChild(t); }, 300);
  }

  // A new alert: the toast says what happened in plain words, with its evidence.
  function raise(alert, agent) {
    var k = key(alert.call, alert.seq);
    open[k] = alert;
    var box = document.getElementById("toasts");
    if (box && !toasts[k]) {
      var t = node("div", "toast sev-" + alert.severity);
      t.setAttribute("role", "alert");
      t.dataset.call = alert.call;
      t.dataset.seq = alert.seq;
      t.dataset.shownMs = String(Date.now());
      var head = node("div", "head", null, t);
      node("b", "title", alertTitle(alert), head);
      node("span", "when", clock(alert.time_s) + " into the call", head);
      var who = node("div", "who", null, t);
      var link = node("a", "call", alert.call, who);
      link.href = "/calls/" + encodeURIComponent(alert.call);
      if (agent) node("span", "agent", "agent " + agent, who);
      node("p", "msg", alert.message, t);
      if (alert.explanation) node("p", "why", alert.explanation, t);
      var ev = (alert.evidence || []).filter(function (x) { return x.feature !== "agitation_score" || finite(x.value); }).slice(0, 3);
      if (ev.length) {
        var ul = node("ul", "evidence", null, t);
        ev.forEach(function (x) { node("li", null, evidenceLine(x), ul); });
      }
      var actions = node("div", "actions", null, t);
      var ack = node("button", "ack", "Acknowledge", actions);
      ack.type = "button";
      ack.addEventListener("click", function () {
        ack.disabled = true;
        acknowledge(alert.call, alert.seq).catch(function (e) { ack.disabled = false; ack.title = e.message; });
      });
      var view = node("a", "open", "Open call", actions);
      view.href = "/calls/" + encodeURIComponent(alert.call);
      var close = node("button", "close", "\u00d7", head);
      close.type = "button";
      close.setAttribute("aria-label", "hide (the alert stays open)");
      close.addEventListener("click", function () { dropToast(k); });
      box.insertBefore(t, box.firstChild);
      toasts[k] = t;
      // At most six toasts: the oldest go (their alerts stay open on the rows).
      var all = box.querySelectorAll(".toast:not(.gone)");
      for (var i = 6; i < all.length; ++i) dropToast(key(all[i].dataset.call, all[i].dataset.seq));
    }
    beep();
    notifyBrowser(alert);
    changed();
  }

  // ---- the feed ----
  // Connects to `path` and calls handlers[type](message); reconnects by itself
  // (0.5 s, then doubling to 5 s) and shows its state in #conn. A silent feed
  // (no tick for 5 s: the server went away without closing) is reconnected too.
  function connect(path, handlers) {
    var conn = document.getElementById("conn");
    var socket = null, attempt = 0, lastMessage = 0, retryTimer = 0;
    function state(s, text) {
      if (!conn) return;
      conn.dataset.state = s;
      conn.textContent = text;
      document.body.dataset.feed = s;
    }
    function open() {
      clearTimeout(retryTimer);
      state(attempt ? "reconnecting" : "connecting", attempt ? "reconnecting\u2026 (attempt " + attempt + ")" : "connecting\u2026");
      socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + path);
      socket.onopen = function () { lastMessage = Date.now(); };
      socket.onmessage = function (e) {
        lastMessage = Date.now();
        var m;
        try { m = JSON.parse(e.data); } catch (err) { return; }
        if (m.type === "snapshot") {
          attempt = 0;
          state("live", "live");
          if (m.features) features = m.features;
        }
        var h = handlers[m.type];
        if (h) h(m);
      };
      socket.onclose = function () {
        socket = null;
        attempt += 1;
        state("reconnecting", "reconnecting\u2026 (attempt " + attempt + ")");
        var wait = Math.min(5000, 500 * Math.pow(2, attempt - 1));
        // A login that expired shows as a refused handshake: check before retrying.
        retryTimer = setTimeout(function () {
          fetch("/api/whoami", { cache: "no-store" }).then(function (r) {
            if (r.status === 401) toLogin(); else open();
          }, open);
        }, wait);
      };
    }
    setInterval(function () {
      if (socket && socket.readyState === 1 && Date.now() - lastMessage > 5000) socket.close();
    }, 1000);
    open();
    return { resync: function () { if (socket && socket.readyState === 1) socket.send("snapshot"); } };
  }

  return {
    words: words, clock: clock, fmt: fmt, finite: finite, node: node, timeOfDay: timeOfDay,
    alertTitle: alertTitle, flagName: flagName, evidenceLine: evidenceLine,
    identify: identify, toggles: toggles, connect: connect,
    raise: raise, acknowledge: acknowledge, acknowledged: acknowledged, callEnded: callEnded, setOpen: setOpen,
    openAlerts: openAlerts, openCount: openCount,
    onAlertsChanged: function (f) { listeners.push(f); },
    user: function () { return me.user; }
  };
})();
