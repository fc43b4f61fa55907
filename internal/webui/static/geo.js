// Custos check-in and check-out: before a form marked data-geo posts,
// ask the browser for the phone's position and put it in the form's
// hidden lat, lng and accuracy fields. The server decides whether the
// position is required and good enough; without this script the form
// posts without one and the page explains why it is needed.
"use strict";
(function () {
  function show(form, state) {
    form.querySelectorAll("[data-geo-state]").forEach(function (el) {
      el.hidden = el.getAttribute("data-geo-state") !== state;
    });
  }
  document.querySelectorAll("form[data-geo]").forEach(function (form) {
    var button = form.querySelector("button[type=submit]");
    // Coming back to the page from the browser's history shows it ready
    // again, asking afresh.
    window.addEventListener("pageshow", function () {
      if (button) { button.disabled = false; }
      form.elements.lat.value = form.elements.lng.value = form.elements.accuracy.value = "";
      show(form, "");
    });
    form.addEventListener("submit", function (ev) {
      if (form.elements.lat.value !== "" && form.elements.lng.value !== "") { return; }
      ev.preventDefault();
      if (!("geolocation" in navigator)) { show(form, "unsupported"); return; }
      show(form, "locating");
      if (button) { button.disabled = true; }
      navigator.geolocation.getCurrentPosition(function (pos) {
        form.elements.lat.value = String(pos.coords.latitude);
        form.elements.lng.value = String(pos.coords.longitude);
        form.elements.accuracy.value = String(Math.round(pos.coords.accuracy));
        form.submit();
      }, function (err) {
        if (button) { button.disabled = false; }
        show(form, err && err.code === 1 ? "denied" : "failed");
      }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
    });
  });
})();
