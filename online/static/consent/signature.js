// The signature box of a consent form: draw with a finger, pen or mouse (pointer events);
// when the form is sent, a drawing goes as a PNG data URL in the hidden field it names.
(function () {
  "use strict";
  function setUp(canvas) {
    var field = document.getElementById(canvas.dataset.signatureFor);
    var form = canvas.closest("form");
    var ctx = canvas.getContext("2d");
    var drawing = false;
    var drawn = false;
    ctx.lineWidth = 3;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.strokeStyle = "#111";
    function at(event) {
      var box = canvas.getBoundingClientRect();
      return {
        x: (event.clientX - box.left) * (canvas.width / box.width),
        y: (event.clientY - box.top) * (canvas.height / box.height),
      };
    }
    canvas.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      drawing = true;
      var p = at(event);
      ctx.beginPath();
      ctx.moveTo(p.x, p.y);
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) return;
      var p = at(event);
      ctx.lineTo(p.x, p.y);
      ctx.stroke();
      drawn = true;
    });
    function stop() { drawing = false; }
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    var clear = form.querySelector("[data-signature-clear]");
    if (clear) {
      clear.addEventListener("click", function () {
        ctx.clearRect(0, 0, canvas.width, canvas.height);
        drawn = false;
        field.value = "";
      });
    }
    form.addEventListener("submit", function () {
      field.value = drawn ? canvas.toDataURL("image/png") : "";
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas[data-signature-for]").forEach(setUp);
  });
})();
