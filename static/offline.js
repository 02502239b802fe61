// yizhan offline: "save my district" on the home and list pages, the offline page
// (/offline, also shown for a page the phone did not keep) and the outbox
// (/feedback/outbox). What it shows comes from what the phone kept: districts as the
// server wrote them (/api/districts/{code}/offline, kept in Cache Storage) and the
// feedback the service worker kept. It computes no opening hours: a saved district
// holds each station's open and unknown intervals, in minutes from its first day.
(function () {
  'use strict';
  if (!('serviceWorker' in navigator) || !('caches' in window)) { return; }
  var words = document.querySelector('[data-offline-words]');
  if (!words) { return; }
  var W = {};
  try { W = JSON.parse(words.dataset.offlineWords); } catch (e) { return; }

  var DISTRICTS = 'yizhan-districts';
  var OUTBOX = 'yizhan-outbox';
  var PAGES = 'yizhan-pages';
  var MAX_DISTRICTS = 3;
  var STALE_SECONDS = 14 * 86400;
  var ENDING_DAYS = 3;
  var BEIJING = 8 * 3600;
  var SHOWN = 50;

  function t(key, args) {
    var text = (args && args.n === 1 && W[key + '_one']) || W[key] || key;
    return text.replace(/%\{(\w+)\}/g, function (all, name) {
      return args && Object.prototype.hasOwnProperty.call(args, name) ? String(args[name]) : all;
    });
  }
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  function button(label, className, onClick) {
    var b = el('button', className, label);
    b.type = 'button';
    b.addEventListener('click', onClick);
    return b;
  }
  function nowSeconds() { return Date.now() / 1000; }
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  // A Unix time in Beijing: the site's times are Beijing's, whatever the phone's zone.
  function beijing(ts) {
    var d = new Date((ts + BEIJING) * 1000);
    return { day: Math.floor((ts + BEIJING) / 86400), m: d.getUTCMonth(), d: d.getUTCDate(), time: pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) };
  }
  function dateTime(ts) {
    var b = beijing(ts);
    return t('offline.when', { mon: W.months[b.m], d: b.d, time: b.time });
  }
  // "18:00", "明天 08:00", or with its date.
  function at(ts, now) {
    var a = beijing(ts), n = beijing(now);
    if (a.day === n.day) { return a.time; }
    if (a.day === n.day + 1) { return t('when.tomorrow', { time: a.time }); }
    return dateTime(ts);
  }

  // Each kept entry of a cache as JSON (a cache that was never made is not made).
  function entries(name) {
    return caches.has(name).then(function (has) { return has ? caches.open(name) : null; }).then(function (c) {
      if (!c) { return []; }
      return c.keys().then(function (keys) {
        return Promise.all(keys.map(function (k) {
          return c.match(k).then(function (r) {
            var at = Number(r.headers.get('X-Saved-At'));
            return r.json().then(function (v) { v.url = k.url; v.savedAt = at; return v; });
          }).catch(function () { return null; });
        }));
      });
    }).then(function (list) { return list.filter(Boolean); });
  }

  // ---- Saved districts -------------------------------------------------------
  function saved() {
    return entries(DISTRICTS).then(function (list) {
      list.forEach(function (d) { d.key = d.url; });
      return list.sort(function (a, b) { return a.district < b.district ? -1 : 1; });
    });
  }
  function save(code) {
    var url = '/api/districts/' + encodeURIComponent(code) + '/offline';
    return saved().then(function (list) {
      var again = list.some(function (d) { return d.district === code; });
      if (!again && list.length >= MAX_DISTRICTS) { throw new Error('full'); }
      return fetch(url, { cache: 'no-store', credentials: 'same-origin' });
    }).then(function (res) {
      if (!res.ok) { throw new Error('network'); }
      return res.blob();
    }).then(function (body) {
      // Kept with the phone's own time of saving (what "saved at" and its age mean).
      var kept = new Response(body, { headers: { 'Content-Type': 'application/json', 'X-Saved-At': String(Math.floor(nowSeconds())) } });
      return caches.open(DISTRICTS).then(function (c) { return c.put(url, kept); }).then(function () { return body.text(); });
    }).then(function (text) { return JSON.parse(text); });
  }
  function forget(key) {
    return caches.open(DISTRICTS).then(function (c) { return c.delete(key); });
  }

  // The saved districts; `say` tells how a refresh went.
  function drawSaved(list, ul, redraw, say) {
    ul.textContent = '';
    var now = nowSeconds();
    list.forEach(function (d) {
      var li = el('li', 'saved-district');
      var savedAt = d.savedAt || d.made_at;
      li.appendChild(el('span', 'saved-what', t('offline.saved_at', { name: d.name, when: dateTime(savedAt), n: d.stations.length })));
      // Hours run out 14 days after the day of saving: said 3 days before, and once past.
      var left = (d.until - now) / 86400;
      var stale = left <= 0 || now - savedAt > STALE_SECONDS;
      if (stale) {
        li.appendChild(el('span', 'saved-stale', t('offline.stale')));
      } else if (left < ENDING_DAYS) {
        li.appendChild(el('span', 'saved-stale', t('offline.ending_n', { n: Math.ceil(left) })));
      }
      var actions = el('span', 'saved-actions');
      actions.appendChild(button(t('offline.refresh'), 'button' + (stale ? '' : ' secondary'), function () {
        say(t('offline.saving'));
        save(d.district).then(function (fresh) {
          say(t('offline.saved', { name: fresh.name, n: fresh.stations.length }));
        }, function () {
          say(t('offline.save_failed'));
        }).then(redraw);
      }));
      actions.appendChild(button(t('offline.delete'), 'button secondary', function () {
        forget(d.key).then(redraw);
      }));
      li.appendChild(actions);
      ul.appendChild(li);
    });
  }

  var panel = document.getElementById('offline-save');
  if (panel) {
    var select = panel.querySelector('select');
    var status = panel.querySelector('.save-status');
    var savedUl = panel.querySelector('.saved-districts');
    var sayPanel = function (text) { status.textContent = text; };
    var redrawPanel = function () { return saved().then(function (list) { drawSaved(list, savedUl, redrawPanel, sayPanel); }); };
    panel.hidden = false;
    panel.querySelector('[data-save-district]').addEventListener('click', function () {
      status.textContent = t('offline.saving');
      save(select.value).then(function (d) {
        status.textContent = t('offline.saved', { name: d.name, n: d.stations.length });
      }, function (e) {
        status.textContent = e && e.message === 'full' ? t('offline.full') : t('offline.save_failed');
      }).then(redrawPanel);
    });
    redrawPanel();
  }

  // ---- The offline page --------------------------------------------------------
  // A station's state at `now` from its saved intervals: never open when out of
  // service, never guessed past the saved span or inside an unknown interval.
  function stateOf(d, s, now) {
    if (s.status !== 'open') { return { key: 'temporarily_closed', css: 'closed' }; }
    if (s.h === undefined || s.h === null) { return { key: 'unknown', css: 'unknown' }; }
    if (now < d.from || now >= d.until) { return { key: 'past_end', css: 'unknown' }; }
    var span = d.hours[s.h];
    var m = (now - d.from) / 60;
    var end = (d.until - d.from) / 60;
    var inside = function (list) { return list.filter(function (iv) { return iv[0] <= m && m < iv[1]; })[0]; };
    if (inside(span.unknown)) { return { key: 'unknown', css: 'unknown' }; }
    var open = inside(span.open);
    if (open) {
      var close = open[1];
      // Intervals that touch are one opening.
      for (var i = 0; i < span.open.length; i++) {
        if (span.open[i][0] === close) { close = span.open[i][1]; i = -1; }
      }
      var unknownNext = span.unknown.some(function (iv) { return iv[0] === close; });
      if (close >= end || unknownNext) { return { key: 'open_now', css: 'open' }; }
      return { key: 'open_until', css: 'open', when: at(d.from + close * 60, now) };
    }
    var next = null;
    span.open.forEach(function (iv) { if (iv[0] > m && (next === null || iv[0] < next)) { next = iv[0]; } });
    var unknownFirst = span.unknown.some(function (iv) { return iv[0] > m && (next === null || iv[0] < next); });
    if (next === null || unknownFirst) { return { key: 'closed', css: 'closed' }; }
    return { key: 'opens_at', css: 'closed', when: at(d.from + next * 60, now) };
  }

  function distanceKm(a, b) {
    var r = Math.PI / 180;
    var x = (b.lon - a.lon) * r * Math.cos((a.lat + b.lat) / 2 * r);
    var y = (b.lat - a.lat) * r;
    return Math.sqrt(x * x + y * y) * 6371;
  }

  function stationItem(d, s, now, here) {
    var li = el('li', 'offline-station');
    li.id = 'station-' + s.id;
    li.appendChild(el('h2', 'station-name', s.name));
    var state = stateOf(d, s, now);
    // "Call to ask" only where there is a number to call.
    var key = state.key === 'unknown' && !s.phone ? 'unknown_no_phone' : state.key;
    li.appendChild(el('p', 'offline-state state-' + state.css, t('offline.' + key, { when: state.when })));
    li.appendChild(el('p', 'address', s.address));
    var meta = [s.st || t('offline.no_street'), t('offline.code', { code: s.code })];
    if (here && s.lat !== undefined) { meta.push(t('offline.km', { km: distanceKm(here, s).toFixed(1) })); }
    li.appendChild(el('p', 'muted small', meta.join(' · ')));
    if (s.f.length) {
      li.appendChild(el('p', 'small facilities', s.f.map(function (i) { return t('facility.' + d.facilities[i]); }).join(' · ')));
    }
    if (s.phone) {
      var call = el('a', 'button call', t('offline.call') + ' ' + s.phone);
      call.href = 'tel:' + s.phone.replace(/[^0-9+]/g, '');
      li.appendChild(call);
    }
    return li;
  }

  var offline = document.getElementById('offline');
  if (offline) {
    var list = offline.querySelector('.offline-list');
    var none = offline.querySelector('.offline-none');
    var sortBar = offline.querySelector('.offline-sort');
    var note = offline.querySelector('.offline-status');
    var opened = offline.querySelector('.offline-opened');
    var savedList = offline.querySelector('.saved-districts');
    var savedSay = offline.querySelector('.saved-panel .save-status');
    var here = null;
    var wanted = /^\/stations\/(\d+)$/.exec(location.pathname);
    var elsewhere = location.pathname !== '/offline';
    var draw = function () {
      return saved().then(function (districts) {
        drawSaved(districts, savedList, draw, function (text) { savedSay.textContent = text; });
        var now = nowSeconds();
        var all = [];
        districts.forEach(function (d) { d.stations.forEach(function (s) { all.push({ d: d, s: s }); }); });
        none.hidden = all.length > 0;
        sortBar.hidden = all.length === 0;
        if (here) {
          all.sort(function (a, b) {
            var da = a.s.lat === undefined ? Infinity : distanceKm(here, a.s);
            var db = b.s.lat === undefined ? Infinity : distanceKm(here, b.s);
            return da - db;
          });
        } else {
          all.sort(function (a, b) {
            return (a.s.st || '\uffff').localeCompare(b.s.st || '\uffff', 'zh-CN') || a.s.name.localeCompare(b.s.name, 'zh-CN');
          });
        }
        list.textContent = '';
        opened.hidden = !elsewhere;
        if (elsewhere) {
          var found = wanted && all.filter(function (x) { return String(x.s.id) === wanted[1]; })[0];
          opened.textContent = found ? t('offline.opened') : t('offline.not_saved_here');
          if (found) {
            var first = stationItem(found.d, found.s, now, here);
            first.classList.add('offline-wanted');
            list.appendChild(first);
            all = all.filter(function (x) { return x !== found; });
          }
        }
        var shown = 0;
        var more = function () {
          all.slice(shown, shown + SHOWN).forEach(function (x) { list.appendChild(stationItem(x.d, x.s, now, here)); });
          shown += SHOWN;
          var left = all.length - shown;
          if (left > 0) {
            var li = el('li', 'offline-more');
            li.appendChild(button(t('offline.more', { n: Math.min(left, SHOWN) }), 'button secondary', function () { li.remove(); more(); }));
            list.appendChild(li);
          }
        };
        more();
      });
    };
    sortBar.querySelector('[data-sort="distance"]').addEventListener('click', function () {
      if (!navigator.geolocation) { note.textContent = t('offline.no_position'); return; }
      note.textContent = t('offline.locating');
      navigator.geolocation.getCurrentPosition(function (p) {
        here = { lat: p.coords.latitude, lon: p.coords.longitude };
        note.textContent = '';
        draw();
      }, function () {
        note.textContent = t('offline.no_position');
      }, { timeout: 15000, maximumAge: 300000 });
    });
    sortBar.querySelector('[data-sort="street"]').addEventListener('click', function () {
      here = null;
      note.textContent = '';
      draw();
    });
    draw();
  }

  // ---- The outbox --------------------------------------------------------------
  function kept() {
    return entries(OUTBOX).then(function (items) {
      return items.filter(function (i) { return i.state !== 'sent'; }).sort(function (a, b) { return a.saved - b.saved; });
    });
  }
  function rewrite(item) {
    var copy = {};
    Object.keys(item).forEach(function (k) { if (k !== 'url') { copy[k] = item[k]; } });
    return caches.open(OUTBOX).then(function (c) {
      return c.put(item.url, new Response(JSON.stringify(copy), { headers: { 'Content-Type': 'application/json' } }));
    });
  }
  // A station's name: from a saved district, else from its kept page.
  function stationName(id) {
    return saved().then(function (districts) {
      var found = null;
      districts.forEach(function (d) { d.stations.forEach(function (s) { if (s.id === id) { found = s.name; } }); });
      if (found) { return found; }
      return caches.match(location.origin + '/stations/' + id, { cacheName: PAGES }).then(function (r) {
        if (!r) { return null; }
        return r.text().then(function (html) {
          var h1 = new DOMParser().parseFromString(html, 'text/html').querySelector('h1');
          return h1 ? h1.textContent.trim() : null;
        });
      });
    }).catch(function () { return null; });
  }

  var outbox = document.getElementById('outbox');
  var pending = document.querySelector('.outbox-pending');
  if (outbox) {
    var items = outbox.querySelector('.outbox-list');
    var empty = outbox.querySelector('.outbox-empty');
    var sentLine = outbox.querySelector('.outbox-sent');
    var query = location.search;
    if (/[?&]saved=1/.test(query)) {
      var savedNote = outbox.querySelector('.outbox-saved');
      if (savedNote) { savedNote.hidden = false; }
    }
    if (/[?&]full=1/.test(query)) { sentLine.hidden = false; sentLine.textContent = t('outbox.full'); }
    var drawOutbox = function () {
      return kept().then(function (list) {
        items.textContent = '';
        empty.hidden = list.length > 0;
        list.forEach(function (item) {
          var li = el('li', 'outbox-item outbox-' + item.state);
          var head = el('a', 'station-name', t('outbox.station', { id: item.station }));
          head.href = '/stations/' + item.station;
          stationName(item.station).then(function (name) { if (name) { head.textContent = name; } });
          li.appendChild(head);
          li.appendChild(el('p', 'muted small', t('outbox.saved_at', { when: dateTime(item.saved / 1000) })));
          li.appendChild(el('p', 'outbox-state', item.state === 'refused' ? t('outbox.refused', { reason: item.reason }) : t('outbox.waiting')));
          var id = 'outbox-body-' + item.key;
          var label = el('label', 'small', t('outbox.body'));
          label.htmlFor = id;
          var body = el('textarea');
          body.id = id;
          body.rows = 3;
          body.maxLength = 2000;
          body.value = item.fields.body || '';
          li.appendChild(label);
          li.appendChild(body);
          var actions = el('p', 'outbox-actions');
          actions.appendChild(button(t('outbox.send'), 'button', function () {
            item.fields.body = body.value;
            item.state = 'waiting';
            rewrite(item).then(function () { document.dispatchEvent(new CustomEvent('yizhan:flush')); drawOutbox(); });
          }));
          actions.appendChild(button(t('outbox.delete'), 'button secondary', function () {
            caches.open(OUTBOX).then(function (c) { return c.delete(item.url); }).then(drawOutbox);
          }));
          li.appendChild(actions);
          items.appendChild(li);
        });
      });
    };
    document.addEventListener('yizhan:outbox', function (event) {
      var n = event.detail && event.detail.sent;
      if (n) { sentLine.hidden = false; sentLine.textContent = t('outbox.sent_n', { n: n }); }
      drawOutbox();
    });
    drawOutbox();
  }
  // "My feedback" can forget this phone's receipts and unsent feedback (two taps).
  var forget = document.querySelector('.forget-mine');
  if (forget) {
    var forgetButton = forget.querySelector('button');
    var anyReceipt = false;
    try { anyReceipt = (localStorage.getItem('yizhan.receipts') || '[]') !== '[]'; } catch (e) { /* none kept */ }
    kept().then(function (list) { forget.hidden = !anyReceipt && list.length === 0; });
    forgetButton.addEventListener('click', function () {
      if (!forgetButton.dataset.sure) {
        forgetButton.dataset.sure = '1';
        forgetButton.textContent = t('mine.forget_sure');
        return;
      }
      try { localStorage.removeItem('yizhan.receipts'); } catch (e) { /* nothing kept */ }
      caches.delete(OUTBOX).then(function () { location.replace('/feedback/mine'); });
    });
  }
  if (pending) {
    var drawPending = function () {
      kept().then(function (list) {
        pending.hidden = list.length === 0;
        pending.querySelector('a').textContent = t('outbox.pending_n', { n: list.length });
      });
    };
    document.addEventListener('yizhan:outbox', drawPending);
    drawPending();
  }
})();
