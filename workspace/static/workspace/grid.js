// The diary: drag an appointment onto a free time to move it there. The drop fills the
// page's move form (the same one the Move page sends) and submits it, so the reschedule
// service decides, and its answer comes back as the page's message. Without JavaScript,
// or with a keyboard, each appointment's Move link does the same.
(function () {
  "use strict";

  var form = document.getElementById("drag-move");
  if (!form) { return; }
  var dragged = null;

  function targets() { return document.querySelectorAll(".diary a.free[data-date]"); }

  document.querySelectorAll(".diary .appt[data-move]").forEach(function (block) {
    block.addEventListener("dragstart", function (event) {
      dragged = block;
      block.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", block.dataset.reference);
    });
    block.addEventListener("dragend", function () {
      block.classList.remove("dragging");
      dragged = null;
    });
  });

  targets().forEach(function (cell) {
    cell.addEventListener("dragover", function (event) {
      if (!dragged) { return; }
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      cell.classList.add("drop-target");
    });
    cell.addEventListener("dragleave", function () { cell.classList.remove("drop-target"); });
    cell.addEventListener("drop", function (event) {
      if (!dragged) { return; }
      event.preventDefault();
      cell.classList.remove("drop-target");
      form.action = dragged.dataset.move;
      form.elements.date.value = cell.dataset.date;
      form.elements.time.value = cell.dataset.time;
      form.elements.practitioner.value = cell.dataset.practitioner || "";
      form.submit();
    });
  });
})();
