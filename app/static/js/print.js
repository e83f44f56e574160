/* The monthly report's "Print" link (no inline script). */
document.querySelectorAll("[data-print]").forEach(function (el) {
  el.addEventListener("click", function (event) { event.preventDefault(); window.print(); });
});
