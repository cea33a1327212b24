// Small helps for the staff workspace; every page also works without them.
(function () {
  "use strict";

  // Client lookup: results as you type (the form still submits without JavaScript).
  var search = document.querySelector("[data-live-search]");
  if (search) {
    var results = document.getElementById("results");
    var timer = null;
    var latest = 0;
    search.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var asked = ++latest;
        var url = search.dataset.liveSearch + "?partial=1&q=" + encodeURIComponent(search.value);
        fetch(url, { credentials: "same-origin" })
          .then(function (response) { return response.ok ? response.text() : null; })
          .then(function (html) {
            if (html !== null && asked === latest) { results.innerHTML = html; }
          });
      }, 200);
    });
  }

  // Face diagram: a region and the checkbox of its area stay in step.
  document.querySelectorAll("[data-face]").forEach(function (box) {
    function input(area) {
      return box.querySelector('input[name="areas"][value="' + area + '"]');
    }
    function sync() {
      box.querySelectorAll(".area").forEach(function (region) {
        var checkbox = input(region.dataset.area);
        region.setAttribute("aria-checked", checkbox && checkbox.checked ? "true" : "false");
      });
    }
    function toggle(region) {
      var checkbox = input(region.dataset.area);
      if (checkbox) { checkbox.checked = !checkbox.checked; sync(); }
    }
    box.querySelectorAll(".area").forEach(function (region) {
      region.addEventListener("click", function () { toggle(region); });
      region.addEventListener("keydown", function (event) {
        if (event.key === " " || event.key === "Enter") { event.preventDefault(); toggle(region); }
      });
    });
    box.addEventListener("change", sync);
    sync();
  });

  // The clinic switcher: a choice is a switch (its button is there without JavaScript).
  document.querySelectorAll("[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
