/* Care Console — the live connection shared by the inbox and thread pages.
 * One socket per tab. Every logged event carries a sequence number; after a reconnect the
 * page asks for what it missed since the last one it applied, so no update is lost.
 * A heartbeat also compares the newest sequence number of the page's rooms with the last one
 * applied: events that never arrived live (the cross-process queue was down, no reconnect
 * happened) are fetched, and the header says "real time degraded" while that goes on. */
(function () {
  "use strict";
  const body = document.body;
  const handlers = {};
  let socket = null;
  let seq = parseInt(body.dataset.seq || "0", 10);
  let rooms = [];
  let heartbeat = null;
  let degraded = false;
  // Heartbeat period: normal, and while events are known not to flow live.
  const BEAT_MS = 5000, DEGRADED_BEAT_MS = 2000;
  // A missed event older than this when fetched was lost live, not merely in flight.
  const LOST_AFTER_MS = 3000;

  function fire(name, payload) {
    (handlers[name] || []).forEach(function (fn) {
      try { fn(payload); } catch (err) { console.error("live handler", name, err); }
    });
  }

  function apply(event) {
    if (event.seq <= seq) { return; }  // already applied (a catch-up can overlap live events)
    seq = event.seq;
    fire(event.name, event.payload);
  }

  function setStatus(state) {
    const el = document.getElementById("live-status");
    if (!el) { return; }
    el.dataset.state = state;
    el.textContent = el.dataset[state] || state;
    // The channel-health strip carries the same warning while events cannot flow.
    const strip = document.getElementById("channel-strip");
    let chip = document.getElementById("realtime-chip");
    if (state === "degraded" && strip && !chip) {
      chip = document.createElement("span");
      chip.id = "realtime-chip";
      chip.className = "chan chstatus-error";
      chip.setAttribute("role", "status");
      chip.textContent = el.dataset.degraded || "real time degraded";
      strip.appendChild(chip);
    } else if (state !== "degraded" && chip) {
      chip.remove();
    }
  }

  async function catchUp() {
    const missed = await ask("catch_up", { since: seq, rooms: rooms });
    if (!missed || !missed.ok) { return null; }
    if (missed.reload) { window.location.reload(); return null; }
    missed.events.forEach(apply);
    return missed.events;
  }

  // Stored times without a zone are UTC (the database's own columns).
  function parseAt(text) {
    return Date.parse(/(Z|[+-]\d\d:?\d\d)$/.test(text) ? text : text + "Z");
  }

  async function beat() {
    const answer = await ask("heartbeat", { rooms: rooms });
    let lost = false;
    if (answer && answer.ok) {
      if (answer.seq > seq) {
        const before = parseAt(answer.now) - LOST_AFTER_MS;
        const fetched = await catchUp();
        lost = (fetched || []).some(function (e) { return e.at && parseAt(e.at) < before; });
      }
      const now = Boolean(answer.degraded) || lost;
      if (now !== degraded) {
        degraded = now;
        setStatus(degraded ? "degraded" : "live");
      }
    }
    schedule();
  }

  function schedule() {
    if (heartbeat) { clearTimeout(heartbeat); }
    heartbeat = setTimeout(beat, degraded ? DEGRADED_BEAT_MS : BEAT_MS);
  }

  function ask(name, data) {
    return new Promise(function (resolve) {
      if (!socket || !socket.connected) { resolve({ ok: false, error: "offline" }); return; }
      socket.timeout(5000).emit(name, data, function (err, answer) {
        resolve(err ? { ok: false, error: "timeout" } : answer);
      });
    });
  }

  async function joinAndCatchUp() {
    for (const room of rooms) {
      const answer = await ask("join", { room: room });
      if (!answer || !answer.ok) { console.warn("join refused", room, answer && answer.error); }
      if (answer && answer.presence) { fire("presence", answer.presence); }
    }
    await catchUp();
    setStatus(degraded ? "degraded" : "live");
    fire("connected", {});
    schedule();
  }

  function start(wanted) {
    rooms = wanted;
    // Same origin only: the server refuses sockets from any other origin.
    socket = window.io({ transports: ["websocket", "polling"] });
    socket.on("connect", joinAndCatchUp);
    socket.on("disconnect", function () { setStatus("offline"); });
    socket.on("connect_error", function () { setStatus("offline"); });
    socket.on("event", apply);
    ["presence", "typing", "lock.taken"].forEach(function (name) {
      socket.on(name, function (payload) { fire(name, payload); });
    });
  }

  function csrf() {
    const meta = document.querySelector("meta[name=csrf-token]");
    return meta ? meta.content : "";
  }

  function t(template, values) {
    return template.replace(/%\((\w+)\)[sd]/g, function (_m, key) {
      return values[key] !== undefined ? values[key] : "";
    });
  }

  // Keyboard: any element with data-key="x" is activated by the key x (outside text fields).
  function onKey(event) {
    const target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) {
      if (event.key === "Escape") { target.blur(); }
      return;
    }
    if (event.key === "?") { toggleHelp(); event.preventDefault(); return; }
    if (event.key === "Escape") { toggleHelp(false); return; }
    fire("key", event);
    if (event.defaultPrevented) { return; }
    const el = document.querySelector('[data-key="' + CSS.escape(event.key) + '"]');
    if (el) {
      event.preventDefault();
      if (el.tagName === "TEXTAREA" || el.tagName === "INPUT") { el.focus(); } else { el.click(); }
    }
  }

  function toggleHelp(force) {
    const help = document.getElementById("key-help");
    if (!help) { return; }
    const show = force === undefined ? help.hidden : force;
    help.hidden = !show;
  }

  // The header's channel strip follows each channel's health (poll status, rate limit, token).
  const labels = { ok: "ok", rate_limited: "rate limited", needs_reconnection: "needs reconnection",
                   error: "error", new: "new", disabled: "disabled" };
  handlers["channel.status"] = [function (payload) {
    const chip = document.querySelector('.chan[data-channel-id="' + payload.id + '"]');
    if (!chip) { return; }
    chip.className = "chan chstatus-" + payload.status;
    const strip = document.getElementById("channel-strip");
    const names = strip && strip.dataset.labels ? JSON.parse(strip.dataset.labels) : labels;
    chip.querySelector(".chan-state").textContent = names[payload.status] || payload.status;
    chip.title = (names[payload.status] || payload.status) + (payload.detail ? " — " + payload.detail : "");
  }];

  document.addEventListener("keydown", onKey);
  window.CareLive = {
    on: function (name, fn) { (handlers[name] = handlers[name] || []).push(fn); },
    fire: fire,
    start: start, ask: ask, csrf: csrf, t: t,
    get seq() { return seq; },
  };
})();
