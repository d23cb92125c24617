// The call report page: draws the charts from the report embedded in the page
// (#report-data), links the event table to the markers, and lets a reader keep
// only the events that need attention. After drawing, <body> carries
// data-rendered="ok", or data-render-error with the message.
(function () {
  "use strict";
  var body = document.body;
  function fail(message) { body.dataset.renderError = String(message); delete body.dataset.rendered; }
  window.addEventListener("error", function (e) { fail(e.message || "script error"); });

  var data = JSON.parse(document.getElementById("report-data").textContent);
  var charts = TwCharts.create({ root: document, tip: document.getElementById("tip"),
                                 readout: document.getElementById("readout") });

  function render() {
    try {
      charts.draw(data);
      if (!body.dataset.renderError) body.dataset.rendered = "ok";
    } catch (e) {
      fail(e && e.message ? e.message : e);
      if (window.console) console.error(e);
    }
  }

  Array.prototype.forEach.call(document.querySelectorAll("a[data-ev]"), function (a) {
    a.addEventListener("click", function (e) {
      var i = +a.getAttribute("data-ev"), mk = charts.markerOf(i);
      if (!mk) return;
      e.preventDefault();
      e.stopPropagation();
      mk.closest(".chart").scrollIntoView({ block: "center" });
      charts.pin(i);
    });
  });
  // A long call has many routine events: let the reader keep only what needs attention.
  var table = document.getElementById("event-table");
  if (table) {
    var label = document.createElement("label");
    label.className = "filter";
    var box = document.createElement("input");
    box.type = "checkbox";
    box.id = "only-important";
    label.appendChild(box);
    label.appendChild(document.createTextNode(" only alerts, warnings and critical events"));
    box.addEventListener("change", function () { table.classList.toggle("only-important", box.checked); });
    table.parentNode.insertBefore(label, table);
  }
  var resizeTimer = 0, lastWidth = window.innerWidth;
  window.addEventListener("resize", function () {
    if (window.innerWidth === lastWidth) return;
    lastWidth = window.innerWidth;
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(render, 150);
  });
  render();
})();
