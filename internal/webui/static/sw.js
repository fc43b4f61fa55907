// Custos service worker: caches the static assets (content-hashed, so a
// cached file never goes stale) and nothing else — no page, no API answer,
// nothing personal. A wipe clears it with Clear-Site-Data.
"use strict";
var CACHE = "custos-static-v1";
self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (ev) { ev.waitUntil(self.clients.claim()); });
self.addEventListener("fetch", function (ev) {
  var url = new URL(ev.request.url);
  if (ev.request.method !== "GET" || url.origin !== self.location.origin || url.pathname.indexOf("/static/") !== 0) {
    return;
  }
  ev.respondWith(caches.open(CACHE).then(function (cache) {
    return cache.match(ev.request).then(function (hit) {
      return hit || fetch(ev.request).then(function (res) {
        if (res.ok) { cache.put(ev.request, res.clone()); }
        return res;
      });
    });
  }));
});
