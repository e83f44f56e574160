/* Care Console — the tone committee pages.
 * Live notifications in the user's own room, and keyboard scoring of a reply: digits score
 * the focused criterion, n = N/A, j/k or arrows move, w marks "worth sharing", c comments,
 * right/left go to the next/previous reply. Every change is saved at once (a half-done
 * review keeps its state); without JavaScript the same form posts normally. */
(function () {
  "use strict";
  const live = window.CareLive;
  const nav = document.querySelector(".review-nav");

  // --- live notifications -------------------------------------------------------------
  if (live && nav && nav.dataset.userRoom) {
    live.on("review.notification", function () {
      ["review-unread", "nav-review-unread"].forEach(function (id) {
        const el = document.getElementById(id);
        if (el) { el.textContent = String((parseInt(el.textContent, 10) || 0) + 1); }
      });
    });
    live.start([nav.dataset.userRoom]);
  }

  // --- keyboard scoring ---------------------------------------------------------------
  const form = document.getElementById("score-form") || document.getElementById("calibration-form");
  if (!form) { return; }
  const autosave = form.id === "score-form";
  const groups = Array.prototype.slice.call(form.querySelectorAll("fieldset.criterion"));
  const enabled = groups.length && !form.querySelector("fieldset.criterion input[disabled]");
  if (!enabled) { return; }
  const state = document.getElementById("save-state");
  const scorePill = document.getElementById("item-score");
  let focus = 0;
  let pending = Promise.resolve(true);

  function valueOf(group) {
    const checked = group.querySelector("input[type=radio]:checked");
    return checked ? checked.value : null;
  }

  function setFocus(index) {
    focus = Math.max(0, Math.min(groups.length - 1, index));
    groups.forEach(function (g, i) { g.classList.toggle("focused", i === focus); });
    groups[focus].scrollIntoView({ block: "nearest" });
  }

  function say(text, failed) {
    if (!state) { return; }
    state.textContent = text;
    state.classList.toggle("failed", !!failed);
  }

  function save(fields) {
    if (!autosave) { return Promise.resolve(true); }
    const body = new URLSearchParams();
    body.set("csrf_token", live ? live.csrf() : "");
    Object.keys(fields).forEach(function (k) { body.set(k, fields[k]); });
    say(form.dataset.saving);
    pending = pending.then(function () {
      return fetch(form.action, {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRFToken": live ? live.csrf() : "" },
      }).then(function (response) {
        return response.json().then(function (answer) {
          if (!answer.ok) { say(answer.error || form.dataset.failed, true); return false; }
          say(form.dataset.saved);
          if (scorePill) { scorePill.textContent = answer.complete && answer.score !== null ? String(Math.round(answer.score)) : "—"; }
          form.classList.toggle("complete", !!answer.complete);
          return true;
        });
      }).catch(function () { say(form.dataset.failed, true); return false; });
    });
    return pending;
  }

  function choose(value) {
    const group = groups[focus];
    const input = group.querySelector('input[type=radio][value="' + value + '"]');
    if (!input) {
      say(value === "na" ? (group.dataset.na === "1" ? "" : "N/A ✗") : value + " ✗", true);
      return;
    }
    input.checked = true;
    save({ ["c_" + group.dataset.key]: value });
    if (focus < groups.length - 1) { setFocus(focus + 1); }
  }

  function go(url) {
    if (!url) { return; }
    pending.then(function () { window.location.href = url; });
  }

  groups.forEach(function (group, index) {
    group.addEventListener("change", function (event) {
      const input = event.target;
      if (input && input.type === "radio") {
        setFocus(index);
        save({ [input.name]: input.value });
      }
    });
    group.addEventListener("click", function () { setFocus(index); });
  });
  const sharing = document.getElementById("worth-sharing");
  if (sharing && autosave) {
    sharing.addEventListener("change", function () { save({ worth_sharing: sharing.checked ? "1" : "0" }); });
  }
  const comment = document.getElementById("comment");
  if (comment && autosave) {
    let last = comment.value;
    comment.addEventListener("blur", function () {
      if (comment.value !== last) { last = comment.value; save({ comment: comment.value }); }
    });
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    const target = event.target;
    if (target && (target.isContentEditable || target.tagName === "TEXTAREA" || target.tagName === "SELECT" ||
        (target.tagName === "INPUT" && !/^(radio|checkbox)$/.test(target.type)))) {
      return;  // typing a comment or a reason
    }
    const key = event.key;
    let handled = true;
    if (/^[0-9]$/.test(key)) { choose(key); }
    else if (key === "n" || key === "N") { choose("na"); }
    else if (key === "j" || key === "ArrowDown") { setFocus(focus + 1); }
    else if (key === "k" || key === "ArrowUp") { setFocus(focus - 1); }
    else if (autosave && (key === "ArrowRight" || key === "l")) { go(form.dataset.next); }
    else if (autosave && (key === "ArrowLeft" || key === "h")) { go(form.dataset.previous); }
    else if (autosave && key === "w" && sharing) { sharing.checked = !sharing.checked; save({ worth_sharing: sharing.checked ? "1" : "0" }); }
    else if (key === "c" && comment) { comment.focus(); }
    else { handled = false; }
    if (handled) { event.preventDefault(); event.stopImmediatePropagation(); }
  }, true);

  const firstOpen = groups.findIndex(function (g) { return valueOf(g) === null; });
  setFocus(firstOpen === -1 ? 0 : firstOpen);
})();
