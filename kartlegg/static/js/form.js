/* The respondent's form, on top of a page that works without JavaScript:
 * - live row/column/grand totals in grids, formatted the Norwegian way;
 * - autosave of changed fields (debounced), with the result and messages swapped in by htmx;
 * - every unsaved value kept in localStorage (per round and unit) until the server has it, so a lost session,
 *   a closed tab or a crash loses nothing; after a new login the values are sent again;
 * - the conflict panel: choose "min verdi" or "lagret verdi" per field.
 * The server is authoritative: it parses and validates everything; this file only moves values and totals.
 */
(function () {
  "use strict";

  var form = document.getElementById("response-form");
  if (!form) return;

  var SAVE_DELAY = 1500;
  var RETRY_DELAY = 5000;
  var saveUrl = form.dataset.saveUrl;
  var stateUrl = form.dataset.stateUrl;
  var storageKey = form.dataset.storageKey;
  var statusEl = document.getElementById("save-status");
  var versionEl = document.getElementById("response-version");
  var sessionNotice = document.getElementById("session-notice");
  var dirty = {};          // name -> value sent or to send (string or array)
  var timer = null;
  var inFlight = null;
  var paused = "";         // "", "session", "conflict" or "readonly"
  var pollTimer = null;
  var refusedAfterLogin = false;

  // --- numbers ------------------------------------------------------------------------------------------------------

  function parseNumber(text) {
    var raw = String(text || "").replace(/[\s\u00a0\u202f\u2009]/g, "").replace(/\u2212/g, "-");
    if (raw === "") return null;
    if (!/^[-+]?(\d+([.,]\d*)?|[.,]\d+)$/.test(raw)) return NaN;
    return Number(raw.replace(",", "."));
  }

  function formatNumber(value, decimals) {
    return new Intl.NumberFormat("nb-NO", { maximumFractionDigits: decimals, minimumFractionDigits: 0 }).format(value);
  }

  function roundTo(value, decimals) {
    var f = Math.pow(10, decimals);
    return Math.round(value * f) / f;
  }

  function updateTotals(table) {
    var decimals = Number(table.dataset.decimals || 2);
    // A row or column without a filled cell shows "–", not 0 (as the server renders it).
    var rows = {}, cols = {}, grand = { sum: 0, n: 0 };
    table.querySelectorAll("input.grid-cell").forEach(function (input) {
      var value = parseNumber(input.value);
      var r = input.dataset.row, c = input.dataset.col;
      if (!(r in rows)) rows[r] = { sum: 0, n: 0 };
      if (!(c in cols)) cols[c] = { sum: 0, n: 0 };
      if (value === null || isNaN(value)) return;
      [rows[r], cols[c], grand].forEach(function (t) { t.sum += value; t.n += 1; });
    });
    function show(el, total) {
      el.textContent = total && total.n ? formatNumber(roundTo(total.sum, decimals), decimals) : "\u2013";
    }
    table.querySelectorAll("[data-total-row]").forEach(function (el) { show(el, rows[el.dataset.totalRow]); });
    table.querySelectorAll("[data-total-col]").forEach(function (el) { show(el, cols[el.dataset.totalCol]); });
    table.querySelectorAll("[data-total-grand]").forEach(function (el) { show(el, grand); });
  }

  // --- field values -------------------------------------------------------------------------------------------------

  function isAnswerField(el) {
    return el.name && el.name.charAt(0) !== "_" && el.name !== "csrfmiddlewaretoken" && el.name.indexOf("choice:") !== 0;
  }

  function fieldsNamed(name) {
    return Array.prototype.filter.call(form.elements, function (el) { return el.name === name; });
  }

  function readField(name) {
    var els = fieldsNamed(name);
    if (!els.length) return null;
    var first = els.find(function (el) { return el.type !== "hidden"; }) || els[0];
    if (first.type === "radio") {
      var checked = els.find(function (el) { return el.checked; });
      return checked ? checked.value : "";
    }
    if (first.type === "checkbox") {
      return els.filter(function (el) { return el.type === "checkbox" && el.checked; }).map(function (el) { return el.value; });
    }
    return first.value;
  }

  function writeField(name, value) {
    fieldsNamed(name).forEach(function (el) {
      if (el.type === "radio") el.checked = el.value === value;
      else if (el.type === "checkbox") {
        var list = Array.isArray(value) ? value : String(value || "").split(",");
        el.checked = list.indexOf(el.value) !== -1;
      } else if (el.type !== "hidden") el.value = value;
    });
    var cell = fieldsNamed(name)[0];
    if (cell && cell.classList.contains("grid-cell")) updateTotals(cell.closest("table"));
  }

  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

  // --- local backup -------------------------------------------------------------------------------------------------

  function loadDraft() {
    try { return JSON.parse(window.localStorage.getItem(storageKey) || "{}") || {}; } catch (e) { return {}; }
  }

  function storeDraft(draft) {
    try {
      if (Object.keys(draft).length) window.localStorage.setItem(storageKey, JSON.stringify(draft));
      else window.localStorage.removeItem(storageKey);
    } catch (e) { /* storage full or disabled: autosave still works */ }
  }

  function remember(name, value) {
    var draft = loadDraft();
    draft[name] = value;
    storeDraft(draft);
  }

  function forget(names) {
    var draft = loadDraft();
    names.forEach(function (name) { delete draft[name]; });
    storeDraft(draft);
  }

  function restoreDraft() {
    var draft = loadDraft(), restored = 0;
    Object.keys(draft).forEach(function (name) {
      if (!fieldsNamed(name).length) return;          // a field of another section: kept for that page
      if (same(readField(name), draft[name])) { delete draft[name]; return; }
      writeField(name, draft[name]);
      dirty[name] = draft[name];
      restored += 1;
    });
    storeDraft(draft);
    if (restored) {
      setStatus(restored === 1
        ? "1 endring som ikke ble lagret sist, er hentet fram og lagres nå."
        : restored + " endringer som ikke ble lagret sist, er hentet fram og lagres nå.");
      schedule(300);
    }
  }

  // --- saving -------------------------------------------------------------------------------------------------------

  function setStatus(text) { if (statusEl) statusEl.textContent = text; }

  function csrfToken() {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function setCsrfToken(token) {
    form.querySelectorAll("input[name=csrfmiddlewaretoken]").forEach(function (el) { el.value = token; });
    document.querySelectorAll("input[name=csrfmiddlewaretoken]").forEach(function (el) { el.value = token; });
    try {
      var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      headers["X-CSRFToken"] = token;
      document.body.setAttribute("hx-headers", JSON.stringify(headers));
    } catch (e) { /* keep the old header */ }
  }

  function schedule(delay) {
    if (timer) window.clearTimeout(timer);
    timer = window.setTimeout(save, delay === undefined ? SAVE_DELAY : delay);
  }

  function markDirty(el) {
    if (!isAnswerField(el)) return;
    var value = readField(el.name);
    dirty[el.name] = value;
    remember(el.name, value);
    if (!paused) setStatus("Ikke lagret ennå …");
    schedule(el.type === "radio" || el.type === "checkbox" || el.tagName === "SELECT" ? 300 : SAVE_DELAY);
  }

  function save() {
    timer = null;
    if (paused || inFlight) { if (inFlight) inFlight.then(function () { if (Object.keys(dirty).length) schedule(200); }); return inFlight || Promise.resolve(false); }
    var names = Object.keys(dirty);
    if (!names.length) return Promise.resolve(true);
    var sent = {};
    var body = new FormData();
    body.append("csrfmiddlewaretoken", csrfToken());
    body.append("_version", versionEl.value);
    body.append("_section", form.dataset.section);
    names.forEach(function (name) {
      var value = dirty[name];
      sent[name] = value;
      if (Array.isArray(value)) {
        body.append(name, "");
        value.forEach(function (v) { body.append(name, v); });
      } else body.append(name, value);
    });
    setStatus("Lagrer …");
    inFlight = fetch(saveUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "X-Requested-With": "fetch" },
    }).then(function (res) {
      if (res.status === 403 && refusedAfterLogin) {
        // Logged in, fresh token, still refused: this user may not change the form (any more).
        paused = "readonly";
        setStatus("Ikke lagret – du har ikke lov til å endre dette skjemaet. Endringene er tatt vare på i nettleseren.");
        return false;
      }
      if (res.status === 401 || res.status === 403 || (res.redirected && /logg-inn|login/.test(res.url))) {
        // 403 is usually a CSRF token rotated by a login in another tab; check the session, then retry once.
        refusedAfterLogin = res.status === 403;
        sessionLost(res.status === 403);
        return false;
      }
      refusedAfterLogin = false;
      if (!res.ok) throw new Error("HTTP " + res.status);
      var meta = {};
      try { meta = JSON.parse(res.headers.get("X-Kartlegg-Save") || "{}"); } catch (e) { meta = {}; }
      return res.text().then(function (html) { applyResult(meta, html, sent); return meta.status === "saved"; });
    }).catch(function () {
      setStatus("Ikke lagret – får ikke kontakt med serveren. Vi prøver igjen. Endringene er tatt vare på i nettleseren.");
      schedule(RETRY_DELAY);
      return false;
    }).finally(function () { inFlight = null; });
    return inFlight;
  }

  function applyResult(meta, html, sent) {
    if (window.htmx) window.htmx.swap(statusEl, html, { swapStyle: "innerHTML" });
    else setStatus(meta.status === "saved" ? (form.dataset.labelSaved + " " + meta.time) : "Ikke lagret.");
    syncInvalid();
    if (meta.status === "conflict") {
      paused = "conflict";
      var panel = document.getElementById("conflict");
      if (panel) panel.scrollIntoView({ block: "center" });
      return;
    }
    if (meta.status === "readonly") { paused = "readonly"; return; }
    versionEl.value = meta.version;
    // A colleague's values, merged by the server: show them in the fields this user has not changed since.
    Object.keys(meta.others || {}).forEach(function (name) {
      if (!(name in dirty)) writeField(name, meta.others[name]);
    });
    var done = [];
    (meta.saved || []).forEach(function (name) {
      // Only forget a value if the user has not typed something newer while the request was under way.
      if (name in dirty && same(dirty[name], sent[name])) { delete dirty[name]; done.push(name); }
    });
    forget(done);
    Object.keys(meta.errors || {}).forEach(function (name) {
      // A value the server cannot parse stays in the field (and in the backup) until the user corrects it.
      if (name in dirty && same(dirty[name], sent[name])) delete dirty[name];
    });
    applyRelevance(meta.relevant);
    if (Object.keys(dirty).length) schedule(SAVE_DELAY);
  }

  function applyRelevance(relevant) {
    if (!Array.isArray(relevant)) return;
    var shown = {};
    relevant.forEach(function (code) { shown[code] = true; });
    form.querySelectorAll("[data-question]").forEach(function (el) { el.hidden = !shown[el.dataset.question]; });
  }

  function syncInvalid() {
    document.querySelectorAll(".field-msg").forEach(function (msg) {
      var id = msg.id.replace(/-msg$/, "");
      var field = document.getElementById(id);
      if (!field || field.tagName === "FIELDSET") return;
      if (msg.dataset.invalid === "true") field.setAttribute("aria-invalid", "true");
      else field.removeAttribute("aria-invalid");
    });
  }

  // --- lost session -------------------------------------------------------------------------------------------------

  function sessionLost(maybeLoggedIn) {
    paused = "session";
    if (maybeLoggedIn) { checkSession(true); return; }
    if (sessionNotice) sessionNotice.hidden = false;
    setStatus("Ikke lagret – du er logget ut. Endringene er tatt vare på i nettleseren.");
    if (!pollTimer) pollTimer = window.setInterval(checkSession, RETRY_DELAY);
  }

  function checkSession(fromRefusal) {
    return fetch(stateUrl, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" }, cache: "no-store" })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (state) {
        if (!state || !state.authenticated) {
          if (fromRefusal === true) { refusedAfterLogin = false; sessionLost(false); }
          return;
        }
        // Logging in rotates the CSRF token; the page's old one would be refused.
        setCsrfToken(state.csrf_token);
        window.clearInterval(pollTimer);
        pollTimer = null;
        paused = "";
        if (sessionNotice) sessionNotice.hidden = true;
        setStatus("Du er logget inn igjen. Lagrer …");
        save();
      }).catch(function () { /* still offline; try again later */ });
  }

  // --- conflicts ----------------------------------------------------------------------------------------------------

  function resolveConflict(event) {
    var panel = document.getElementById("conflict");
    if (!panel) return;
    event.preventDefault();
    var rows = panel.querySelectorAll(".conflict-row");
    var missing = Array.prototype.find.call(rows, function (row) {
      return !row.querySelector("input[type=radio]:checked");
    });
    if (missing) {
      missing.querySelector("input[type=radio]").focus();
      setStatus("Velg en verdi for hvert felt i listen.");
      return;
    }
    rows.forEach(function (row) {
      var code = row.dataset.code;
      var name = row.dataset.comment ? "comment:" + code : code;
      var choice = row.querySelector("input[type=radio]:checked").value;
      if (choice === "stored") {
        writeField(name, row.dataset.stored);
        delete dirty[name];
        forget([name]);
      } else {
        writeField(name, row.dataset.mine);
        dirty[name] = readField(name);
      }
    });
    versionEl.value = panel.dataset.conflictVersion;
    panel.className = "";
    panel.removeAttribute("role");
    panel.innerHTML = "";
    paused = "";
    save();
  }

  // --- wiring -------------------------------------------------------------------------------------------------------

  form.addEventListener("input", function (event) {
    var el = event.target;
    if (el.classList && el.classList.contains("grid-cell")) updateTotals(el.closest("table"));
    if (el.type !== "radio" && el.type !== "checkbox") markDirty(el);
  });
  form.addEventListener("change", function (event) { markDirty(event.target); });
  form.addEventListener("keydown", function (event) {
    // Enter in a field saves; it should not leave the page the way a submit button would.
    var el = event.target;
    if (event.key === "Enter" && el.tagName === "INPUT" && el.type !== "submit" && el.type !== "button") {
      event.preventDefault();
      if (isAnswerField(el)) markDirty(el);
      save();
    }
  });

  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.hasAttribute("data-resolve")) { resolveConflict(event); return; }
    // Save what changed, then go where the button points; a plain POST would resend every field.
    event.preventDefault();
    var target = button ? button.dataset.href : "";
    Promise.resolve(save())
      .then(function () { return Object.keys(dirty).length && !paused ? save() : true; })
      .then(function () {
        // An invalid value was not saved: stay, and take the user to the error summary at the top.
        var summary = document.getElementById("error-summary");
        if (summary && !summary.hidden) { summary.focus(); summary.scrollIntoView({ block: "start" }); return; }
        if (!Object.keys(dirty).length && !paused && target) window.location.href = target;
      });
  });

  document.body.addEventListener("htmx:afterSettle", syncInvalid);
  document.body.addEventListener("htmx:oobAfterSwap", syncInvalid);
  window.addEventListener("focus", function () { if (paused === "session") checkSession(); });
  window.addEventListener("pagehide", function () {
    if (!Object.keys(dirty).length || paused) return;
    var body = new FormData();
    body.append("csrfmiddlewaretoken", csrfToken());
    body.append("_version", versionEl.value);
    body.append("_section", form.dataset.section);
    Object.keys(dirty).forEach(function (name) {
      var value = dirty[name];
      if (Array.isArray(value)) { body.append(name, ""); value.forEach(function (v) { body.append(name, v); }); }
      else body.append(name, value);
    });
    // keepalive lets the request finish after the page is gone; the backup covers it if it does not.
    fetch(saveUrl, { method: "POST", body: body, credentials: "same-origin", keepalive: true,
      headers: { "X-CSRFToken": csrfToken(), "X-Requested-With": "fetch" } });
  });

  document.querySelectorAll("table.grid-table").forEach(updateTotals);
  restoreDraft();
})();
