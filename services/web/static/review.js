// Keyboard shortcuts for the review inbox: j/k move, a approve, r revoke, x select, d delegate.
(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.item"));
  var current = -1;
  function focusRow(i) {
    if (!rows.length) return;
    current = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach(function (r) { r.classList.remove("current"); });
    var row = rows[current];
    row.classList.add("current");
    row.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }
  function row() { return rows[current]; }
  function click(sel) { var r = row(); if (!r) return; var b = r.querySelector(sel); if (b) b.click(); }
  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var typing = ev.target && (ev.target.tagName === "INPUT" && ev.target.type !== "checkbox" || ev.target.tagName === "TEXTAREA" || ev.target.tagName === "SELECT");
    if (typing && ev.target.classList && ev.target.classList.contains("just") && ev.key === "Enter") {
      ev.preventDefault(); click("button.revoke"); return;
    }
    if (typing) { if (ev.key === "Escape") ev.target.blur(); return; }
    var k = ev.key;
    if (k === "j") { focusRow(current + 1); ev.preventDefault(); }
    else if (k === "k") { focusRow(current - 1); ev.preventDefault(); }
    else if (k === "a") { if (current < 0) focusRow(0); click("button.approve"); ev.preventDefault(); }
    else if (k === "r") { if (current < 0) focusRow(0); var j = row() && row().querySelector("input.just"); if (j && !j.value) { j.focus(); } else { click("button.revoke"); } ev.preventDefault(); }
    else if (k === "x") { var c = row() && row().querySelector("input[type=checkbox]"); if (c) c.checked = !c.checked; ev.preventDefault(); }
    else if (k === "d") { var d = row() && row().querySelector("details.delegate"); if (d) { d.open = true; var e = d.querySelector("input[type=email]"); if (e) e.focus(); } ev.preventDefault(); }
  });
  rows.forEach(function (r, i) { r.addEventListener("focusin", function () { current = i; rows.forEach(function (x) { x.classList.remove("current"); }); r.classList.add("current"); }); });
  var all = document.getElementById("select-all");
  if (all) all.addEventListener("change", function () {
    document.querySelectorAll("input[form=bulk][name=task_id]").forEach(function (c) { c.checked = all.checked; });
  });
})();
// Ask for a justification before sending a revoke (the server enforces it too).
document.addEventListener("submit", function (ev) {
  var form = ev.target, btn = ev.submitter;
  if (!btn || btn.value !== "revoke") return;
  var just = form.id === "bulk" ? document.getElementById("bulk-just") : form.querySelector("input.just");
  if (just && !just.value.trim()) {
    ev.preventDefault();
    just.setCustomValidity("Please say why this access should be revoked.");
    just.reportValidity();
    just.addEventListener("input", function () { just.setCustomValidity(""); }, { once: true });
    just.focus();
  }
});
