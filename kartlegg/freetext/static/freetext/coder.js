// The coder page from the keyboard. Every change is POSTed at once (with the CSRF token) and the server's answer
// updates the page; without JavaScript the same form works with its buttons.
//   digits toggle the code with that number (two digits quickly for 10 and over), a accepts the suggestions,
//   Enter confirms and moves on, j/k next/previous, v shows the unit, u or Ctrl+Z undoes the last action.
(function () {
  "use strict";
  var root = document.getElementById("ft-coder");
  if (!root) { return; }
  var form = document.getElementById("ft-form");
  var status = document.getElementById("ft-status");
  var progress = document.getElementById("ft-progress");
  var progressText = document.getElementById("ft-progress-text");
  var badge = document.getElementById("ft-confirmed");
  var codeCount = parseInt(root.getAttribute("data-code-count"), 10) || 0;
  var token = form.querySelector('input[name="csrfmiddlewaretoken"]').value;
  var digits = "";
  var digitTimer = null;
  var busy = Promise.resolve();

  function say(text) { status.textContent = text; }
  function msg(name) { return root.getAttribute("data-msg-" + name) || ""; }
  function label(name) { return root.getAttribute("data-label-" + name) || ""; }

  function boxes() { return Array.prototype.slice.call(form.querySelectorAll('input[name="codes"]')); }

  function post(url, data) {
    return fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": token, "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok || !body.ok) { throw new Error(body.error || ("HTTP " + response.status)); }
        return body;
      });
    });
  }

  function save(action) {
    var data = new FormData(form);
    data.set("action", action);
    // Chain the saves so that they reach the server in the order they were made.
    busy = busy.catch(function () { return null; }).then(function () {
      say(msg("saving"));
      return post(root.getAttribute("data-save-url"), data).then(function (body) {
        boxes().forEach(function (box) { box.checked = body.codes.indexOf(box.value) !== -1; });
        if (progress) { progress.value = body.coded; progress.max = body.total; }
        if (progressText) {
          progressText.textContent = label("progress").replace("{coded}", body.coded).replace("{total}", body.total);
        }
        if (badge) {
          badge.textContent = body.confirmed ? label("confirmed") : label("unconfirmed");
          badge.setAttribute("data-color", body.confirmed ? "success" : "neutral");
        }
        say(body.confirmed ? msg("confirmed") : msg("saved"));
        return body;
      }).catch(function (error) { say(msg("failed") + " " + error.message); throw error; });
    });
    return busy;
  }

  function go(url) { if (url) { window.location.assign(url); } }

  function toggle(number) {
    var box = document.getElementById("ft-code-" + number);
    if (!box) { say(msg("no-code") + " (" + number + ")"); return; }
    box.checked = !box.checked;
    save("save");
  }

  function digit(d) {
    window.clearTimeout(digitTimer);
    digits += d;
    var number = parseInt(digits, 10);
    // Wait for a second digit only if one could follow (e.g. "1" when there are 10 or more codes).
    if (number * 10 > codeCount || digits.length >= 2) {
      digits = "";
      toggle(number);
    } else {
      digitTimer = window.setTimeout(function () { var n = parseInt(digits, 10); digits = ""; toggle(n); }, 600);
    }
  }

  function undo() {
    busy = busy.catch(function () { return null; }).then(function () {
      return post(root.getAttribute("data-undo-url"), new FormData()).then(function (body) {
        if (body.url) { go(body.url); }
      }).catch(function () { say(msg("nothing")); });
    });
  }

  boxes().forEach(function (box) { box.addEventListener("change", function () { save("save"); }); });
  form.addEventListener("submit", function (event) {
    var action = event.submitter ? event.submitter.value : "save";
    event.preventDefault();
    save(action).then(function () {
      if (action === "confirm" && root.getAttribute("data-has-next") === "1") { go(root.getAttribute("data-next-url")); }
    });
  });

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target && (target.tagName === "TEXTAREA" || target.tagName === "SELECT" ||
      (target.tagName === "INPUT" && target.type !== "checkbox"));
    if (typing || event.altKey || event.metaKey) { return; }
    if (event.ctrlKey) {
      if (event.key === "z" || event.key === "Z") { event.preventDefault(); undo(); }
      return;
    }
    var key = event.key;
    if (/^[0-9]$/.test(key)) { event.preventDefault(); digit(key); return; }
    if (key === "Enter") {
      if (target && (target.tagName === "BUTTON" || target.tagName === "A" || target.tagName === "SUMMARY")) { return; }
      event.preventDefault();
      save("confirm").then(function () {
        if (root.getAttribute("data-has-next") === "1") { go(root.getAttribute("data-next-url")); }
      });
    } else if (key === "j") {
      event.preventDefault(); busy.catch(function () { return null; }).then(function () { go(root.getAttribute("data-next-url") && root.getAttribute("data-has-next") === "1" ? root.getAttribute("data-next-url") : ""); });
    } else if (key === "k") {
      event.preventDefault(); busy.catch(function () { return null; }).then(function () { go(root.getAttribute("data-prev-url")); });
    } else if (key === "a") {
      event.preventDefault(); save("accept");
    } else if (key === "u") {
      event.preventDefault(); undo();
    } else if (key === "v") {
      event.preventDefault();
      var unit = document.getElementById("ft-unit");
      unit.open = !unit.open;
    }
  });
})();
