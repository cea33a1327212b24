// The diary: drag an appointment onto a free time to move it there, with a mouse, a pen or
// a finger (pointer events, so a tablet's touch works as a mouse does). The drop fills the
// page's move form (the same move the Move page makes) and submits it: the reschedule
// service decides, and its answer comes back as the page's message. Without JavaScript,
// or with a keyboard, each appointment's Move link does the same.
(function () {
  "use strict";

  var form = document.getElementById("drag-move");
  if (!form) { return; }
  var THRESHOLD = 6; // pixels before a press becomes a drag (a tap stays a tap)
  var drag = null;

  function freeCellAt(x, y) {
    var under = document.elementFromPoint(x, y);
    return under ? under.closest(".diary a.free[href]") : null;
  }

  function mark(cell) {
    if (drag.over === cell) { return; }
    if (drag.over) { drag.over.classList.remove("drop-target"); }
    drag.over = cell;
    if (cell) { cell.classList.add("drop-target"); }
  }

  function stop() {
    if (!drag) { return; }
    if (drag.ghost) { drag.ghost.remove(); }
    if (drag.over) { drag.over.classList.remove("drop-target"); }
    drag.block.classList.remove("dragging");
    document.body.classList.remove("grid-dragging");
    drag = null;
  }

  document.querySelectorAll(".diary .appt[data-move]").forEach(function (block) {
    block.addEventListener("pointerdown", function (event) {
      // Its links, buttons and icons stay what they are: only the block itself drags.
      if (event.button !== 0 || event.target.closest("a, button, input, .icon")) { return; }
      drag = { block: block, x: event.clientX, y: event.clientY, moving: false, over: null };
      // No text selection and no native drag of what is under the press: the browser
      // would cancel the pointer for either.
      event.preventDefault();
    });
  });

  document.addEventListener("pointermove", function (event) {
    if (!drag) { return; }
    var dx = event.clientX - drag.x;
    var dy = event.clientY - drag.y;
    if (!drag.moving) {
      if (Math.abs(dx) + Math.abs(dy) < THRESHOLD) { return; }
      drag.moving = true;
      var box = drag.block.getBoundingClientRect();
      drag.ghost = drag.block.cloneNode(true);
      drag.ghost.classList.add("drag-ghost");
      drag.ghost.removeAttribute("data-move");
      drag.ghost.style.width = box.width + "px";
      drag.ghost.style.height = Math.min(box.height, 120) + "px";
      drag.left = box.left;
      drag.top = box.top;
      document.body.appendChild(drag.ghost);
      drag.block.classList.add("dragging");
      document.body.classList.add("grid-dragging");
    }
    event.preventDefault();
    drag.ghost.style.transform = "translate(" + (drag.left + dx) + "px," + (drag.top + dy) + "px)";
    mark(freeCellAt(event.clientX, event.clientY));
  });

  document.addEventListener("pointerup", function (event) {
    if (!drag) { return; }
    var cell = drag.moving ? freeCellAt(event.clientX, event.clientY) : null;
    var block = drag.block;
    stop();
    if (!cell) { return; }
    event.preventDefault();
    // Where the free time's link books is where it moves: its date, time and practitioner
    // (none in a room's column: whoever is free).
    var where = new URL(cell.href).searchParams;
    form.action = block.dataset.move;
    form.elements.date.value = where.get("date");
    form.elements.time.value = where.get("time");
    form.elements.practitioner.value = where.get("practitioner") || "";
    form.submit();
  });

  document.addEventListener("pointercancel", stop);
  document.addEventListener("dragstart", function (event) {
    if (drag) { event.preventDefault(); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { stop(); }
  });
  // A drag that ends on a free time must not also follow that time's booking link.
  document.addEventListener("click", function (event) {
    if (document.body.classList.contains("grid-submitting")) { event.preventDefault(); }
  }, true);
  form.addEventListener("submit", function () { document.body.classList.add("grid-submitting"); });
})();
