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
    const empty = document.querySelector(".empty");
    if (empty) { empty.remove(); }
  }

  function paintPresence(threadId) {
    const el = document.querySelector('[data-presence-for="' + threadId + '"]');
    if (!el) { return; }
    const lock = locks[threadId];
    el.textContent = lock ? live.t(i18n.replying || "%(name)s is replying", { name: lock.name }) : "";
    el.classList.toggle("locked", Boolean(lock));
  }

  live.on("thread.updated", function (payload) { refresh(payload.id, payload.new); });
  live.on("threads.updated", function (payload) {
    (payload.threads || []).forEach(function (t) { refresh(t.id, t.new); });
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
      if (box) { box.checked = !box.checked; }
      event.preventDefault();
    }
  });

  if (list) { live.start(["inbox"]); }
})();
