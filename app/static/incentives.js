// Scheme designer: live curve previews (server-rendered SVG swapped in), linear/steps fields; printing.
// Loaded with defer from the incentive pages; no inline script anywhere (the CSP forbids it).
(function () {
  "use strict";

  function debounce(fn, wait) {
    var timer = null;
    return function () {
      if (timer) { window.clearTimeout(timer); }
      timer = window.setTimeout(fn, wait);
    };
  }

  function showCurveFields(fieldset) {
    var select = fieldset.querySelector("[data-curve-type]");
    if (!select) { return; }
    fieldset.querySelectorAll("[data-curve-fields]").forEach(function (box) {
      box.classList.toggle("is-hidden", box.getAttribute("data-curve-fields") !== select.value);
    });
  }

  function setUpPreview(fieldset) {
    var box = fieldset.querySelector("[data-curve-preview]");
    if (!box) { return; }
    var url = box.getAttribute("data-curve-preview");
    var prefix = fieldset.getAttribute("data-component");
    var latest = 0;

    function refresh() {
      var params = new URLSearchParams();
      fieldset.querySelectorAll("input, select").forEach(function (el) {
        if (el.name && el.name.indexOf(prefix) === 0) {
          params.append(el.name.slice(prefix.length), el.value);
        }
      });
      var ticket = ++latest;
      fetch(url + "?" + params.toString(), { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) {
          if (!response.ok) { throw new Error("preview " + response.status); }
          return response.text();
        })
        .then(function (html) {
          if (ticket !== latest) { return; }  // an older answer arriving late must not overwrite a newer one
          box.innerHTML = html;
          box.setAttribute("data-refreshed", String(ticket));
        })
        .catch(function () { box.setAttribute("data-refresh-failed", "1"); });
    }

    fieldset.addEventListener("input", debounce(refresh, 250));
    fieldset.addEventListener("change", function () { showCurveFields(fieldset); refresh(); });
    showCurveFields(fieldset);
  }

  document.querySelectorAll("fieldset[data-component]").forEach(setUpPreview);

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
}());
