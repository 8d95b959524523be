// The new-case form follows the chosen kind of case: the fields and hints that belong to it show,
// and its usual priority is chosen (an acute matter: high) unless the person chose one already.
// Without this script the page shows the fields of the kind it was opened for; nothing is lost.
(function () {
  "use strict";
  var form = document.getElementById("new-case");
  if (!form) { return; }
  var kind = form.querySelector("#workflow");
  var priority = form.querySelector("#priority");
  var defaults = JSON.parse(form.getAttribute("data-priority") || "{}");
  var touched = false;
  if (priority) { priority.addEventListener("change", function () { touched = true; }); }
  function follow() {
    var chosen = kind.value;
    form.querySelectorAll("[data-for]").forEach(function (box) {
      var kinds = box.getAttribute("data-for").split(" ");
      box.hidden = kinds.indexOf(chosen) < 0;
    });
    if (priority && !touched) { priority.value = defaults[chosen] || "normal"; }
  }
  if (kind) { kind.addEventListener("change", follow); }
})();
