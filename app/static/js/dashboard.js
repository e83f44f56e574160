/* Care Console — the dashboard's charts (Chart.js, vendored) and its live refresh.
 * The numbers of every chart are also in the table beside it (server-rendered). */
(function () {
  "use strict";
  const charts = [];

  function data() {
    const el = document.getElementById("dash-data");
    return el ? JSON.parse(el.textContent) : null;
  }

  function make(id, config) {
    const canvas = document.getElementById(id);
    if (!canvas || !window.Chart) { return; }
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false,
      animation: false, interaction: { mode: "index", intersect: false } }, config.options || {});
    charts.push(new window.Chart(canvas, config));
  }

  function draw() {
    while (charts.length) { charts.pop().destroy(); }
    const d = data();
    if (!d) { return; }
    const l = function (id, key) { const c = document.getElementById(id); return c ? c.dataset[key] : key; };
    make("chart-volume", { type: "bar", data: { labels: d.days, datasets: [
      { label: l("chart-volume", "lMentions"), data: d.mentions, backgroundColor: "#4f7cac" },
      { label: l("chart-volume", "lThreads"), data: d.threads, backgroundColor: "#a3c4e0" }] } });
    make("chart-response", { type: "line", data: { labels: d.days, datasets: [
      { label: l("chart-response", "lAnswered"), data: d.answered_share, borderColor: "#2e7d32", yAxisID: "pct", spanGaps: true },
      { label: l("chart-response", "lSla"), data: d.sla_first_share, borderColor: "#9e9d24", yAxisID: "pct", spanGaps: true },
      { label: l("chart-response", "lFrt"), data: d.frt_median, borderColor: "#c62828", yAxisID: "min", spanGaps: true },
      { label: l("chart-response", "lFrtb"), data: d.frtb_median, borderColor: "#6a1b9a", yAxisID: "min", spanGaps: true }] },
      options: { scales: { pct: { position: "left", min: 0, max: 100 }, min: { position: "right", min: 0, grid: { drawOnChartArea: false } } } } });
    make("chart-sentiment", { type: "line", data: { labels: d.days, datasets: [
      { label: l("chart-sentiment", "lPolarity"), data: d.polarity, borderColor: "#1565c0", yAxisID: "pol", spanGaps: true },
      { label: l("chart-sentiment", "lNegative"), data: d.negative_share, borderColor: "#d84315", yAxisID: "pct", spanGaps: true }] },
      options: { scales: { pol: { position: "left", min: -1, max: 1 }, pct: { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false } } } } });
    const cat = document.getElementById("chart-categories");
    if (cat) {
      make("chart-categories", { type: "bar", data: { labels: JSON.parse(cat.dataset.labels), datasets: [
        { label: cat.dataset.lCurrent, data: d.category_counts, backgroundColor: "#4f7cac" },
        { label: cat.dataset.lPrevious, data: d.category_previous, backgroundColor: "#cfd8dc" }] },
        options: { indexAxis: "y" } });
    }
    const sat = document.getElementById("chart-satisfaction");
    if (sat) {
      const colours = ["#c62828", "#ef6c00", "#fbc02d", "#7cb342", "#2e7d32"];
      make("chart-satisfaction", { type: "bar", data: { labels: JSON.parse(sat.dataset.labels),
        datasets: [0, 1, 2, 3, 4].map(function (i) {
          return { label: String(i + 1), data: d.distribution.map(function (q) { return q[i]; }), backgroundColor: colours[i] };
        }) }, options: { indexAxis: "y", scales: { x: { stacked: true }, y: { stacked: true } } } });
    }
  }

  // Live: the rollup job announces "dashboard.updated"; the page re-reads itself (same
  // filters) and swaps the board, so today's figures move as replies go out.
  let pending = null;
  function refresh() {
    if (pending) { return; }
    pending = window.setTimeout(function () {
      pending = null;
      fetch(window.location.href, { credentials: "same-origin" }).then(function (r) {
        return r.ok ? r.text() : null;
      }).then(function (html) {
        if (!html) { return; }
        const next = new DOMParser().parseFromString(html, "text/html").getElementById("board");
        const board = document.getElementById("board");
        if (next && board) { board.replaceWith(next); draw(); }
      });
    }, 500);
  }

  function live() {
    const board = document.getElementById("board");
    if (!board || !window.io) { return; }
    const brandId = parseInt(board.dataset.brandId, 10);
    const status = document.getElementById("live-status");
    const socket = window.io({ transports: ["websocket", "polling"] });
    socket.on("connect", function () {
      socket.emit("dashboard.join", {}, function () {
        if (status) { status.dataset.state = "live"; status.textContent = status.dataset.live; }
      });
    });
    socket.on("disconnect", function () {
      if (status) { status.dataset.state = "offline"; status.textContent = status.dataset.offline; }
    });
    socket.on("event", function (event) {
      if (event && event.name === "dashboard.updated" && event.payload.brand_id === brandId) { refresh(); }
    });
  }

  draw();
  live();
})();
