// Attaching files: drop them on the form as well as choosing them. Without this script the
// form still works (the file input accepts several files); with it, the form is a drop zone.
(function () {
  "use strict";
  document.querySelectorAll("form[data-dropzone]").forEach(function (form) {
    var input = form.querySelector("input[type=file]");
    var chosen = form.querySelector(".chosen-files");
    if (!input || !window.DataTransfer) { return; }
    form.classList.add("dropzone");
    function show() {
      chosen.textContent = Array.prototype.map.call(input.files, function (f) { return f.name; }).join(", ");
    }
    input.addEventListener("change", show);
    ["dragenter", "dragover"].forEach(function (name) {
      form.addEventListener(name, function (e) { e.preventDefault(); form.classList.add("dragging"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      form.addEventListener(name, function (e) { e.preventDefault(); form.classList.remove("dragging"); });
    });
    form.addEventListener("drop", function (e) {
      if (e.dataTransfer && e.dataTransfer.files.length) {
        input.files = e.dataTransfer.files;
        show();
        input.focus();
      }
    });
  });
})();
