// Progressive enhancement for the details step: the injectable questions show only after
// "Yes". Hidden means disabled too, so nothing in them is sent. Without JavaScript every
// question shows, and the server ignores the injectables after "No".
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-shown-by]").forEach(function (block) {
    var radios = document.querySelectorAll('input[name="' + block.dataset.shownBy + '"]');
    function update() {
      var chosen = Array.prototype.find.call(radios, function (r) { return r.checked; });
      var show = chosen !== undefined && chosen.value === block.dataset.shownFor;
      block.hidden = !show;
      block.querySelectorAll("input, select, textarea").forEach(function (input) {
        // The formset's management fields must always be sent.
        if (input.type !== "hidden") input.disabled = !show;
      });
    }
    radios.forEach(function (radio) { radio.addEventListener("change", update); });
    update();
  });
});
