// Installs the service worker (/sw.js) where the browser has them; elsewhere (an old
// browser, an in-app browser without them) the site works as it always did.
// At each page load, when the signal returns and when the outbox asks, it also asks
// the worker to send the feedback kept without a signal (static/receipts.js then
// moves the receipts of what was sent into "my feedback").
(function () {
  'use strict';
  if (!('serviceWorker' in navigator) || !('caches' in window)) { return; }

  function flush() {
    navigator.serviceWorker.ready.then(function (reg) {
      var worker = navigator.serviceWorker.controller || reg.active;
      if (worker) { worker.postMessage({ type: 'flush' }); }
    });
  }

  document.addEventListener('yizhan:flush', flush);
  window.addEventListener('online', flush);
  window.addEventListener('load', function () {
    navigator.serviceWorker.register('/sw.js').catch(function () {});
    flush();
  });
})();
