/* Care Console — trend charts of the tone committee (Chart.js, vendored). The same numbers
 * are in the table beside each chart. */
(function () {
  "use strict";
  const source = document.getElementById("trend-data");
  if (!source || !window.Chart) { return; }
  const data = JSON.parse(source.textContent);
  if (!data.months.length) { return; }
  const palette = ["#1f6feb", "#d97706", "#059669", "#db2777", "#7c3aed", "#0891b2", "#65a30d", "#dc2626"];
  const criteria = document.getElementById("chart-criteria");
  if (criteria) {
    const sets = [{ label: data.score_label, data: data.score, borderColor: "#111827", borderWidth: 3, pointRadius: 5, spanGaps: true }];
    Object.keys(data.criteria).forEach(function (key, i) {
      sets.push({ label: data.names[key] || key, data: data.criteria[key], borderColor: palette[i % palette.length], pointRadius: 4, spanGaps: true });
    });
    new window.Chart(criteria, {
      type: "line", data: { labels: data.months, datasets: sets },
      options: { animation: false, scales: { y: { min: 0, max: 100 } } },
    });
  }
  const polarity = document.getElementById("chart-polarity");
  if (polarity) {
    new window.Chart(polarity, {
      type: "line",
      data: { labels: data.months, datasets: [{ label: data.polarity_label, data: data.polarity, borderColor: "#1f6feb", pointRadius: 4, spanGaps: true }] },
      options: { animation: false, scales: { y: { min: -1, max: 1 } } },
    });
  }
})();
