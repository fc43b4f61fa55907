// Custos passkeys: fills a form's hidden "credential" field from
// navigator.credentials (get for sign-in, create for registration) and
// submits it. The options come from a JSON data island on the page; the
// server checks everything.
"use strict";
(function () {
  function b64uToBuf(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) { s += "="; }
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out.buffer;
  }
  function bufToB64u(buf) {
    var bytes = new Uint8Array(buf), s = "";
    for (var i = 0; i < bytes.length; i++) { s += String.fromCharCode(bytes[i]); }
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function readOptions(id) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    var v = JSON.parse(el.textContent);
    if (typeof v === "string") { v = JSON.parse(v); }
    return v.publicKey || v;
  }
  function credentialJSON(c) {
    var r = c.response, out = { id: c.id, rawId: bufToB64u(c.rawId), type: c.type, response: {} };
    out.response.clientDataJSON = bufToB64u(r.clientDataJSON);
    if (r.attestationObject) { out.response.attestationObject = bufToB64u(r.attestationObject); }
    if (r.authenticatorData) { out.response.authenticatorData = bufToB64u(r.authenticatorData); }
    if (r.signature) { out.response.signature = bufToB64u(r.signature); }
    if (r.userHandle) { out.response.userHandle = bufToB64u(r.userHandle); }
    if (r.getTransports) { out.response.transports = r.getTransports(); }
    if (c.authenticatorAttachment) { out.authenticatorAttachment = c.authenticatorAttachment; }
    return JSON.stringify(out);
  }
  document.querySelectorAll("form[data-webauthn]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (form.credential.value) { return; }
      ev.preventDefault();
      var o = readOptions("webauthn-options"), err = form.querySelector("[data-webauthn-error]");
      if (!o || !navigator.credentials) { if (err) { err.hidden = false; } return; }
      o.challenge = b64uToBuf(o.challenge);
      var call;
      if (form.dataset.webauthn === "create") {
        o.user.id = b64uToBuf(o.user.id);
        (o.excludeCredentials || []).forEach(function (c) { c.id = b64uToBuf(c.id); });
        call = navigator.credentials.create({ publicKey: o });
      } else {
        (o.allowCredentials || []).forEach(function (c) { c.id = b64uToBuf(c.id); });
        call = navigator.credentials.get({ publicKey: o });
      }
      call.then(function (c) {
        form.credential.value = credentialJSON(c);
        form.submit();
      }).catch(function () { if (err) { err.hidden = false; } });
    });
  });
})();
