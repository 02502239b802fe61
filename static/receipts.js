// yizhan "my feedback": the receipts this phone got are kept in the browser
// (localStorage, no account). A receipt page adds its receipt; /feedback/mine asks
// the server for the state of the kept ones; the receipts of feedback the service
// worker sent for the phone (kept without a signal) join them. No inline script
// (strict CSP).
(function () {
  'use strict';
  var KEY = 'yizhan.receipts';
  var MAX = 50; // as MINE_MAX in src/web/public/feedback.rs
  var OUTBOX = 'yizhan-outbox';
  function load() {
    try {
      var list = JSON.parse(localStorage.getItem(KEY) || '[]');
      return Array.isArray(list) ? list.filter(function (r) { return typeof r === 'string'; }) : [];
    } catch (e) { return []; }
  }
  // Puts `receipts` first, once each; false when nothing could be kept (private mode).
  function keep(receipts) {
    var list = load().filter(function (r) { return receipts.indexOf(r) < 0; });
    try { localStorage.setItem(KEY, JSON.stringify(receipts.concat(list).slice(0, MAX))); } catch (e) { return false; }
    return true;
  }
  function showMine() {
    location.replace('/feedback/mine?r=' + encodeURIComponent(load().join(',')));
  }
  var page = document.querySelector('[data-keep-receipt]');
  if (page) { keep([page.dataset.keepReceipt]); }
  var mine = document.getElementById('mine');
  if (mine && !mine.dataset.asked) {
    if (load().length) {
      showMine();
    } else {
      var empty = mine.querySelector('.mine-empty');
      if (empty) { empty.hidden = false; }
    }
  }

  // Sent items leave the outbox for "my feedback"; open pages are told how many.
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
        if (!sent.length || !keep(sent.map(function (s) { return s.receipt; }).reverse())) { return 0; }
        return Promise.all(sent.map(function (s) { return c.delete(s.key); })).then(function () { return sent.length; });
      });
    }).then(function (n) {
      document.dispatchEvent(new CustomEvent('yizhan:outbox', { detail: { sent: n } }));
      if (n && mine) { showMine(); }
    }).catch(function () {});
  }
  if ('serviceWorker' in navigator && 'caches' in window) {
    navigator.serviceWorker.addEventListener('message', function (event) {
      if (event.data && event.data.type === 'outbox') { harvest(); }
    });
    window.addEventListener('load', harvest);
  }
})();
