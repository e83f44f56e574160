/* Care Console — the live inbox: rows appear, move and leave as the team works. */
(function () {
  "use strict";
  const live = window.CareLive;
  const list = document.getElementById("thread-list");
  const i18n = list ? JSON.parse(list.dataset.i18n || "{}") : {};
  const locks = {};

  function rows() { return Array.from(document.querySelectorAll("#thread-list .thread-row")); }

  function place(row) {
    // Rows are sorted by their sort key, descending (most urgent or newest first).
    const key = row.dataset.sortKey || "";
    const after = rows().find(function (r) { return r !== row && (r.dataset.sortKey || "") < key; });
    if (after) { list.insertBefore(row, after); } else { list.appendChild(row); }
  }

  async function refresh(threadId, isNew) {
    if (!list) { return; }
    const query = list.dataset.query ? "?" + list.dataset.query : "";
    const response = await fetch("/inbox/rows/" + threadId + query, { credentials: "same-origin" });
    const existing = list.querySelector('.thread-row[data-thread-id="' + threadId + '"]');
    if (response.status === 204) { if (existing) { existing.remove(); } return; }
    if (!response.ok) { return; }
    const holder = document.createElement("ol");
    holder.innerHTML = (await response.text()).trim();
    const row = holder.querySelector(".thread-row");
    if (!row) { return; }
    if (existing) {
      const checked = existing.querySelector("input.select");
      if (checked && checked.checked) { row.querySelector("input.select").checked = true; }
      if (existing.classList.contains("current")) { row.classList.add("current"); }
      existing.replaceWith(row);
    }
    place(row);
    paintPresence(threadId);
    if (isNew || !existing) { row.classList.add("arrived"); }
    if (isNew && !existing) { markUnseen(row); }
    else if (existing && existing.classList.contains("unseen")) { row.classList.add("unseen"); }
    const empty = document.querySelector(".empty");
    if (empty) { empty.remove(); }
  }

  // --- new threads: a "N new" pill over the list and the count in the tab's title ---------
  const pill = document.getElementById("new-pill");
  const baseTitle = pill && pill.dataset.title ? pill.dataset.title : document.title;

  function unseenRows() { return Array.from(document.querySelectorAll("#thread-list .thread-row.unseen")); }

  function paintUnseen() {
    const n = unseenRows().length;
    document.title = n ? "(" + n + ") " + baseTitle : baseTitle;
    if (!pill) { return; }
    pill.hidden = n === 0;
    pill.textContent = live.t(pill.dataset.template || "%(n)s new", { n: n });
  }

  function markUnseen(row) { row.classList.add("unseen"); paintUnseen(); }

  function seen(row) {
    if (!row.classList.contains("unseen")) { return; }
    row.classList.remove("unseen");
    paintUnseen();
  }

  if (pill) {
    pill.addEventListener("click", function () {
      // Brings the new threads into view: the first of them (in list order) at the top.
      const fresh = unseenRows();
      if (!fresh.length) { paintUnseen(); return; }
      fresh[0].scrollIntoView({ block: "start", behavior: "smooth" });
      fresh.forEach(function (row) {
        row.classList.remove("arrived");
        void row.offsetWidth;  // restart the highlight on each
        row.classList.add("arrived");
        seen(row);
      });
    });
  }
  if (list) {
    list.addEventListener("mouseover", function (event) {
      const row = event.target.closest(".thread-row.unseen");
      if (row) { seen(row); }
    });
    list.addEventListener("focusin", function (event) {
      const row = event.target.closest(".thread-row.unseen");
      if (row) { seen(row); }
    });
  }

  // --- the status tabs' counts follow the inbox (one request per burst of events) ---------
  let countsTimer = null;
  let countsBusy = false;
  function scheduleCounts() {
    if (!list || countsTimer) { return; }
    countsTimer = setTimeout(refreshCounts, 700);
  }
  async function refreshCounts() {
    countsTimer = null;
    if (countsBusy) { scheduleCounts(); return; }
    countsBusy = true;
    try {
      const query = list.dataset.query ? "?" + list.dataset.query : "";
      const response = await fetch("/inbox/counts" + query, { credentials: "same-origin" });
      if (!response.ok) { return; }
      const data = await response.json();
      Object.keys(data.counts || {}).forEach(function (status) {
        const el = document.querySelector('.status-tabs [data-status="' + status + '"] .count');
        if (!el || el.textContent === String(data.counts[status])) { return; }
        el.textContent = data.counts[status];
        el.classList.remove("bumped");
        void el.offsetWidth;
        el.classList.add("bumped");
      });
    } finally { countsBusy = false; }
  }

  function paintPresence(threadId) {
    const el = document.querySelector('[data-presence-for="' + threadId + '"]');
    if (!el) { return; }
    const lock = locks[threadId];
    el.textContent = lock ? live.t(i18n.replying || "%(name)s is replying", { name: lock.name }) : "";
    el.classList.toggle("locked", Boolean(lock));
  }

  live.on("thread.updated", function (payload) { refresh(payload.id, payload.new); scheduleCounts(); });
  live.on("threads.updated", function (payload) {
    (payload.threads || []).forEach(function (t) { refresh(t.id, t.new); });
    scheduleCounts();
  });
  live.on("presence", function (state) {
    locks[state.thread_id] = state.lock;
    paintPresence(state.thread_id);
  });

  // j / k move, o or Enter opens, x selects: the inbox without the mouse.
  live.on("key", function (event) {
    const all = rows();
    if (!all.length) { return; }
    let index = all.findIndex(function (r) { return r.classList.contains("current"); });
    if (event.key === "j" || event.key === "k") {
      if (index >= 0) { all[index].classList.remove("current"); }
      index = event.key === "j" ? Math.min(all.length - 1, index + 1) : Math.max(0, index - 1);
      all[index].classList.add("current");
      all[index].scrollIntoView({ block: "nearest" });
      event.preventDefault();
    } else if ((event.key === "o" || event.key === "Enter") && index >= 0) {
      window.location = all[index].querySelector("a.thread-link").href;
      event.preventDefault();
    } else if (event.key === "x" && index >= 0) {
      const box = all[index].querySelector("input.select");
      if (box) { box.checked = !box.checked; paintSelection(); }
      event.preventDefault();
    }
  });

  // --- the bulk bar (shown by CSS while a row is selected) says how many ------------------
  const bulkForm = document.getElementById("bulk-form");
  function paintSelection() {
    if (!bulkForm) { return; }
    const n = document.querySelectorAll("#thread-list input.select:checked").length;
    const label = bulkForm.querySelector(".bulk-count");
    if (label) { label.textContent = live.t(label.dataset.template || "%(n)s", { n: n }); }
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("#thread-list input.select")) { paintSelection(); }
    if (event.target.matches && event.target.matches("select[data-autosubmit]")) { event.target.form.submit(); }
  });
  const clear = document.querySelector("[data-clear-selection]");
  if (clear) {
    clear.addEventListener("click", function () {
      document.querySelectorAll("#thread-list input.select:checked").forEach(function (box) { box.checked = false; });
      paintSelection();
    });
  }

  if (list) { live.start(["inbox"]); }
})();
