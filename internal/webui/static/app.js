// Custos: progressive enhancement only — every page works without it.
// Registers the service worker (which caches static assets, nothing else)
// through a Trusted Types policy that allows exactly that one script URL.
"use strict";
(function () {
  var policy = null;
  if (window.trustedTypes && window.trustedTypes.createPolicy) {
    policy = window.trustedTypes.createPolicy("custos", {
      createScriptURL: function (url) {
        if (url === "/sw.js") { return url; }
        throw new TypeError("script URL not allowed: " + url);
      }
    });
  }
  if ("serviceWorker" in navigator) {
    var url = policy ? policy.createScriptURL("/sw.js") : "/sw.js";
    navigator.serviceWorker.register(url, { scope: "/" }).catch(function () {});
  }
})();
