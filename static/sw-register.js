// Installs the service worker (/sw.js) where the browser has them; elsewhere (an old
// browser, an in-app browser without them) the site works as it always did.
(function () {
  'use strict';
  if (!('serviceWorker' in navigator)) { return; }
  window.addEventListener('load', function () {
    navigator.serviceWorker.register('/sw.js').catch(function () {});
  });
})();
