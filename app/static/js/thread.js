/* Care Console — the live thread page: new messages, who is here, who is replying,
 * and a composer that counts as the platform counts and catches personal data. */
(function () {
  "use strict";
  const live = window.CareLive;
  const page = document.getElementById("thread-page");
  if (!page) { return; }
  const threadId = parseInt(page.dataset.threadId, 10);
  const me = parseInt(page.dataset.me, 10);
  const i18n = JSON.parse(page.dataset.i18n || "{}");
  const box = document.getElementById("body");
  const form = box ? box.form : null;
  const bar = document.getElementById("presence-bar");
  const versionInput = form ? form.querySelector("input[name=version]") : null;
  let lockState = null;
  let haveLock = false;
  let lastTyping = 0;
  let checkTimer = null;
  let typingTimer = null;
  let tooLong = false;
  const submit = form ? form.querySelector("input[type=submit], button[type=submit]:not(.send-private)") : null;
  const reason = document.getElementById("send-reason");

  // Send is refused before the post when it cannot go: over the channel's length, or while a
  // colleague holds the reply lock. The reason is shown beside the button.
  function paintSend() {
    if (!submit) { return; }
    let why = "";
    if (lockState && lockState.user_id !== me && !haveLock) {
      why = live.t(i18n.locked, { name: lockState.name });
    } else if (tooLong) {
      why = i18n.too_long;
    }
    submit.disabled = Boolean(why);
    if (reason) { reason.textContent = why; }
  }

  function drawPresence(state) {
    if (!bar) { return; }
    bar.innerHTML = "";
    lockState = state.lock;
    const others = state.viewers.filter(function (v) { return v.user_id !== me; });
    if (others.length) {
      const span = document.createElement("span");
      span.className = "viewers";
      span.textContent = live.t(i18n.viewing, { names: others.map(function (v) { return v.name; }).join(", ") });
      bar.appendChild(span);
    }
    if (state.lock && state.lock.user_id !== me) {
      haveLock = false;
      const lock = document.createElement("span");
      lock.className = "lock-banner";
      lock.textContent = live.t(i18n.replying, { name: state.lock.name }) + " ";
      const take = document.createElement("button");
      take.type = "button";
      take.className = "small takeover";
      take.textContent = i18n.takeover;
      take.addEventListener("click", async function () {
        const answer = await live.ask("takeover", { thread_id: threadId });
        haveLock = Boolean(answer && answer.ok);
        paintSend();
        if (box) { box.focus(); }
      });
      lock.appendChild(take);
      bar.appendChild(lock);
    }
    paintSend();
  }

  function notice(text) {
    const el = document.createElement("p");
    el.className = "flash error live-notice";
    el.setAttribute("role", "alert");
    el.textContent = text;
    form.insertBefore(el, form.firstChild);
  }

  async function fragment(messageId) {
    const response = await fetch("/inbox/threads/" + threadId + "/messages/" + messageId,
      { credentials: "same-origin" });
    if (!response.ok) { return; }
    const holder = document.createElement("ol");
    holder.innerHTML = (await response.text()).trim();
    const item = holder.firstElementChild;
    const existing = document.getElementById("m" + messageId);
    if (existing) { existing.replaceWith(item); } else { document.querySelector(".messages").appendChild(item); }
  }

  live.on("presence", function (state) { if (state.thread_id === threadId) { drawPresence(state); } });
  live.on("message.updated", function (p) { if (p.thread_id === threadId) { fragment(p.message_id); } });
  live.on("threads.updated", function (payload) {
    (payload.threads || []).forEach(function (t) { live.fire("thread.updated", t); });
  });
  live.on("thread.updated", function (p) {
    if (p.id !== threadId) { return; }
    (p.message_ids || []).forEach(fragment);
    if (!versionInput) { return; }
    // An empty composer simply follows the thread; a draft in progress is warned instead.
    if (!box.value.trim()) { versionInput.value = p.version; } else if (String(p.version) !== versionInput.value) {
      if (!form.querySelector(".live-notice")) { notice(i18n.changed); }
    }
  });
  live.on("typing", function (p) {
    if (p.thread_id !== threadId || p.user_id === me || !bar) { return; }
    let el = bar.querySelector(".typing");
    if (!el) { el = document.createElement("span"); el.className = "typing"; bar.appendChild(el); }
    el.textContent = live.t(i18n.typing, { name: p.name });
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { el.remove(); }, 3000);
  });
  live.on("lock.taken", function (p) {
    if (p.thread_id !== threadId) { return; }
    if (p.previous && p.previous.user_id === me) {
      haveLock = false;
      lockState = { user_id: p.by.user_id, name: p.by.name };
      paintSend();
      notice(live.t(i18n.taken, { name: p.by.name }));
    }
  });

  async function check() {
    const privateBox = form.querySelector("input[name=private]");
    const response = await fetch("/inbox/threads/" + threadId + "/check", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": live.csrf() },
      body: JSON.stringify({ body: box.value, private: privateBox && privateBox.checked }),
    });
    if (!response.ok) { return; }
    const result = await response.json();
    const left = document.getElementById("chars-left");
    left.textContent = result.remaining >= 0
      ? live.t(i18n.left, { n: result.remaining })
      : live.t(i18n.over, { n: -result.remaining });
    left.classList.toggle("over", result.remaining < 0);
    tooLong = result.remaining < 0;
    paintSend();
    const warn = document.getElementById("pii-warning");
    if (result.pii.length) {
      warn.hidden = false;
      warn.textContent = live.t(i18n.pii, { items: result.pii.map(function (s) { return s.text; }).join(", ") });
    } else { warn.hidden = true; warn.textContent = ""; }
  }

  if (box) {
    box.addEventListener("input", async function () {
      if (!haveLock && box.value.trim()) {
        const answer = await live.ask("lock", { thread_id: threadId });
        haveLock = Boolean(answer && answer.ok && answer.locked);
      }
      const now = Date.now();
      if (now - lastTyping > 2000) { lastTyping = now; live.ask("typing", { thread_id: threadId }); }
      clearTimeout(checkTimer);
      checkTimer = setTimeout(check, 250);
    });
    box.addEventListener("blur", function () {
      if (haveLock && !box.value.trim()) { haveLock = false; live.ask("unlock", { thread_id: threadId }); }
    });
    const privateBox = form.querySelector("input[name=private]");
    if (privateBox) { privateBox.addEventListener("change", check); }
    if (box.value) { check(); }

    // A long draft that a refusal could not carry back through the session is restored here.
    const draftKey = "care-draft-" + threadId;
    const refused = form.querySelector(".refusal");
    const saved = window.sessionStorage ? sessionStorage.getItem(draftKey) : null;
    if (refused && !box.value && saved) { box.value = saved; check(); }
    if (window.sessionStorage) { sessionStorage.removeItem(draftKey); }

    // Sending: the reply shows at once as "Sending…"; the page that follows shows it sent,
    // with its link on the platform (or the refusal, with the draft kept).
    form.addEventListener("submit", function (event) {
      if (submit && submit.disabled && event.submitter === submit) { event.preventDefault(); return; }
      if (!box.value.trim()) { return; }
      if (window.sessionStorage) { sessionStorage.setItem(draftKey, box.value); }
      const item = document.createElement("li");
      item.className = "msg outbound sending";
      const text = document.createElement("p");
      text.className = "msg-text";
      text.textContent = box.value;
      const state = document.createElement("div");
      state.className = "send-state pending";
      state.textContent = i18n.sending;
      item.appendChild(text);
      item.appendChild(state);
      document.querySelector(".messages").appendChild(item);
      item.scrollIntoView({ block: "nearest" });
      if (submit) { setTimeout(function () { submit.disabled = true; }, 0); }
    });
  }

  // Buttons carrying data-insert (tracking number, canned reply) insert at the cursor.
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-insert]");
    if (!button || !box) { return; }
    event.preventDefault();
    const text = button.dataset.insert;
    const start = box.selectionStart || box.value.length;
    const end = box.selectionEnd || start;
    box.value = box.value.slice(0, start) + text + box.value.slice(end);
    box.focus();
    box.selectionStart = box.selectionEnd = start + text.length;
    box.dispatchEvent(new Event("input"));
    const details = button.closest("details");
    if (details) { details.open = false; }
  });

  // Keys of the thread page: a focuses the assignee, e resolves.
  live.on("key", function (event) {
    const actions = document.getElementById("thread-actions");
    if (!actions) { return; }
    if (event.key === "a") {
      const assignee = actions.querySelector("select[name$=assignee]");
      if (assignee) { assignee.focus(); event.preventDefault(); }
    } else if (event.key === "e") {
      const status = actions.querySelector("select[name$=status]");
      if (status) {
        status.value = "resolved";
        event.preventDefault();
        status.form.requestSubmit ? status.form.requestSubmit() : status.form.submit();
      }
    }
  });

  // Canned replies: search while typing, filled for this thread, inserted on click.
  const cannedSearch = document.getElementById("canned-search");
  const cannedResults = document.getElementById("canned-results");
  if (cannedSearch && cannedResults && cannedSearch.dataset.url) {
    let cannedTimer = null;
    cannedSearch.addEventListener("input", function () {
      clearTimeout(cannedTimer);
      cannedTimer = setTimeout(async function () {
        const url = cannedSearch.dataset.url + "?q=" + encodeURIComponent(cannedSearch.value);
        const response = await fetch(url, { credentials: "same-origin" });
        if (!response.ok) { return; }
        const data = await response.json();
        const items = data.results || [];
        let list = cannedResults.querySelector("ul.canned-list");
        if (!list) {
          list = document.createElement("ul");
          list.className = "canned-list";
          const empty = cannedResults.querySelector("p.muted");
          if (empty) { empty.remove(); }
          cannedResults.appendChild(list);
        }
        cannedResults.open = true;
        list.innerHTML = "";
        (Array.isArray(items) ? items : []).forEach(function (item) {
          const li = document.createElement("li");
          const button = document.createElement("button");
          button.type = "button";
          button.className = "small";
          button.dataset.insert = item.text;
          button.textContent = item.title;
          li.appendChild(button);
          const preview = document.createElement("span");
          preview.className = "muted";
          preview.textContent = " " + item.text;
          li.appendChild(preview);
          list.appendChild(li);
        });
      }, 150);
    });
  }

  window.addEventListener("beforeunload", function () {
    if (haveLock && box && !box.value.trim()) { live.ask("unlock", { thread_id: threadId }); }
  });

  live.start(["inbox", "thread:" + threadId]);
})();
