// yizhan "near me": links and buttons marked data-locate ask for the position and
// open /near with it and their filters. Without JavaScript, or when the position
// cannot be had, the link's own address (a list or the district choice) still works.
// No inline script anywhere (strict CSP); every text comes from data attributes.
(function () {
  'use strict';
  var status = document.getElementById('locate-status');
  var triggers = document.querySelectorAll('[data-locate]');
  if (!status || !triggers.length) { return; }
  var d = status.dataset;
  var last = null;

  function node(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) { n.className = cls; }
    if (text !== undefined) { n.textContent = text; }
    return n;
  }

  function show(text, failed) {
    status.textContent = '';
    status.appendChild(node('span', 'locate-text', text));
    status.hidden = false;
    status.classList.toggle('failed', !!failed);
    if (!failed) { return; }
    var row = node('span', 'locate-actions');
    var retry = node('button', 'button', d.retry);
    retry.type = 'button';
    retry.addEventListener('click', function () { if (last) { locate(last); } });
    row.appendChild(retry);
    // The trigger's own address: the filtered list, or the district choice.
    var fallback = node('a', 'button secondary', last && last.getAttribute('href') !== '/near' ? d.list : d.districts);
    fallback.href = last ? last.getAttribute('href') : '/near';
    row.appendChild(fallback);
    status.appendChild(row);
  }

  function locate(el) {
    last = el;
    if (!navigator.geolocation || window.isSecureContext === false) {
      show(d.unavailable, true);
      return;
    }
    show(d.locating, false);
    navigator.geolocation.getCurrentPosition(function (pos) {
      var q = 'lat=' + pos.coords.latitude.toFixed(6) + '&lon=' + pos.coords.longitude.toFixed(6);
      var extra = el.getAttribute('data-locate');
      // A page of its own may take the position (a supervisor's list shows distances).
      var to = el.getAttribute('data-locate-to') || '/near';
      location.href = to + '?' + q + (extra ? '&' + extra : '');
    }, function (err) {
      var code = err && err.code;
      show(code === 1 ? d.denied : code === 3 ? d.timeout : d.unavailable, true);
    }, { enableHighAccuracy: false, timeout: 10000, maximumAge: 120000 });
  }

  Array.prototype.forEach.call(triggers, function (el) {
    el.hidden = false;
    el.addEventListener('click', function (ev) {
      ev.preventDefault();
      locate(el);
    });
  });
})();
