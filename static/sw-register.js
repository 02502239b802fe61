// Installs the service worker (/sw.js) where the browser has them; elsewhere (an old
// browser, an in-app browser without them) the site works as it always did.
// At each page load it also asks the worker to send the feedback kept without a
// signal, and moves the receipts of what was sent into "my feedback" (the receipts
// this phone keeps in localStorage, as static/receipts.js does).
(function () {
  'use strict';
  if (!('serviceWorker' in navigator) || !('caches' in window)) { return; }
  var RECEIPTS = 'yizhan.receipts';
  var MAX = 50; // as MINE_MAX in src/web/public/feedback.rs
  var OUTBOX = 'yizhan-outbox';

  function receipts() {
    try {
      var list = JSON.parse(localStorage.getItem(RECEIPTS) || '[]');
      return Array.isArray(list) ? list.filter(function (r) { return typeof r === 'string'; }) : [];
    } catch (e) { return []; }
  }

  // Sent items leave the outbox for "my feedback".
  function harvest() {
    return caches.has(OUTBOX).then(function (has) { return has ? caches.open(OUTBOX) : null; }).then(function (c) {
      if (!c) { return 0; }
      return c.keys().then(function (keys) {
        return Promise.all(keys.map(function (k) {
          return c.match(k).then(function (r) { return r ? r.json() : null; }).then(function (item) {
            return item && item.state === 'sent' && item.receipt ? { key: k, receipt: item.receipt } : null;
          }, function () { return null; });
        }));
      }).then(function (found) {
        var sent = found.filter(Boolean);
        if (!sent.length) { return 0; }
        var list = receipts();
        sent.forEach(function (s) {
          list = list.filter(function (r) { return r !== s.receipt; });
          list.unshift(s.receipt);
        });
        try { localStorage.setItem(RECEIPTS, JSON.stringify(list.slice(0, MAX))); } catch (e) { return 0; }
        return Promise.all(sent.map(function (s) { return c.delete(s.key); })).then(function () { return sent.length; });
      });
    }).then(function (n) {
      document.dispatchEvent(new CustomEvent('yizhan:outbox', { detail: { sent: n } }));
      if (n && document.getElementById('mine')) {
        location.replace('/feedback/mine?r=' + encodeURIComponent(receipts().join(',')));
      }
    }).catch(function () {});
  }

  function flush() {
    navigator.serviceWorker.ready.then(function (reg) {
      var worker = navigator.serviceWorker.controller || reg.active;
      if (worker) { worker.postMessage({ type: 'flush' }); }
    });
  }

  navigator.serviceWorker.addEventListener('message', function (event) {
    if (event.data && event.data.type === 'outbox') { harvest(); }
  });
  document.addEventListener('yizhan:flush', flush);
  window.addEventListener('online', flush);
  window.addEventListener('load', function () {
    navigator.serviceWorker.register('/sw.js').catch(function () {});
    harvest();
    flush();
  });
})();
