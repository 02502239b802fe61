// yizhan "my feedback": the receipts this phone got are kept in the browser
// (localStorage, no account). A receipt page adds its receipt; /feedback/mine asks
// the server for the state of the kept ones. No inline script (strict CSP).
(function () {
  'use strict';
  var KEY = 'yizhan.receipts';
  var MAX = 50; // as MINE_MAX in src/web/feedback.rs
  function load() {
    try {
      var list = JSON.parse(localStorage.getItem(KEY) || '[]');
      return Array.isArray(list) ? list.filter(function (r) { return typeof r === 'string'; }) : [];
    } catch (e) { return []; }
  }
  function save(list) {
    try { localStorage.setItem(KEY, JSON.stringify(list.slice(0, MAX))); } catch (e) { /* private mode: nothing kept */ }
  }
  var page = document.querySelector('[data-keep-receipt]');
  if (page) {
    var receipt = page.dataset.keepReceipt;
    var list = load().filter(function (r) { return r !== receipt; });
    list.unshift(receipt);
    save(list);
  }
  var mine = document.getElementById('mine');
  if (mine && !mine.dataset.asked) {
    var kept = load();
    if (kept.length) {
      location.replace('/feedback/mine?r=' + encodeURIComponent(kept.join(',')));
    } else {
      var empty = mine.querySelector('.mine-empty');
      if (empty) { empty.hidden = false; }
    }
  }
})();
