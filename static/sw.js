// The service worker, served at /sw.js with the release filled in.
// - The app shell of this release (styles, scripts, icons, the offline page and the
//   outbox page) is kept at install; an older release's shell is dropped when this
//   one takes over.
// - The last 20 station and list pages opened (and the home page) are kept; without a signal a kept page
//   is shown with the line "离线显示 · <when it was kept> 的信息", and a page never
//   kept gets the offline page (the stations of the districts saved on the phone).
// - A feedback form sent without a signal is kept on the phone under a submission
//   key of its own and sent when the signal returns (Background Sync where the
//   browser has it, else at the next page load).
'use strict';

var RELEASE = '__RELEASE__';
var SHELL = 'yizhan-shell-' + RELEASE;
var SHELL_FILES = __SHELL_FILES__;
var SHELL_PAGES = ['/offline', '/feedback/outbox'];
var PAGES = 'yizhan-pages';
var OUTBOX = 'yizhan-outbox';
var KEEP_PAGES = 20;
var KEEP_FEEDBACK = 20;
// The pages kept as they are opened: home, the station list, a station ("near me"
// is not: its address holds the worker's position, which the phone does not keep).
var KEPT = /^\/(stations(\/\d+)?)?$/;
var FEEDBACK = /^\/stations\/(\d+)\/feedback$/;
// Past this a slow network loses to the kept copy (the network still refreshes it).
var SLOW_MS = 8000;
// Beijing time, whatever the phone's time zone: the site's times are Beijing's.
var BEIJING_MS = 8 * 3600 * 1000;

self.addEventListener('install', function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) {
    return cache.addAll(SHELL_FILES.concat(SHELL_PAGES));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener('activate', function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) {
      return k.indexOf('yizhan-shell-') === 0 && k !== SHELL;
    }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener('fetch', function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.method === 'POST' && request.mode === 'navigate' && FEEDBACK.test(url.pathname)) {
    event.respondWith(sendOrKeep(request, url));
    return;
  }
  if (request.method !== 'GET') { return; }
  if (url.pathname.indexOf('/static/') === 0) {
    event.respondWith(staticFile(request));
  } else if (request.mode === 'navigate') {
    event.respondWith(page(event, request, url));
  }
});

// Static files are named by their content (?v=…): one kept is the one asked for. A
// page kept under an older release asks for older names: without a signal it gets
// this release's file of the same path.
function staticFile(request) {
  return caches.match(request).then(function (kept) {
    return kept || fetch(request).catch(function () {
      return caches.open(SHELL).then(function (c) { return c.match(request, { ignoreSearch: true }); })
        .then(function (same) { return same || Response.error(); });
    });
  });
}

function page(event, request, url) {
  var keep = KEPT.test(url.pathname);
  var net = fetch(request).then(function (res) {
    // A language chosen: the kept offline and outbox pages follow it.
    if (url.pathname.indexOf('/lang/') === 0 && (res.ok || res.type === 'opaqueredirect')) {
      extend(event, caches.open(SHELL).then(function (c) { return c.addAll(SHELL_PAGES); }));
    }
    var type = res.headers.get('Content-Type') || '';
    if (keep && res.status === 200 && type.indexOf('text/html') === 0 && !/no-store/.test(res.headers.get('Cache-Control') || '')) {
      extend(event, keepPage(url, res.clone()));
    }
    return res;
  });
  var slow = new Promise(function (resolve) { setTimeout(resolve, SLOW_MS); }).then(function () {
    return keptPage(url).then(function (kept) { return kept || net; });
  });
  return Promise.race([net, slow]).catch(function () {
    return keptPage(url).then(function (kept) { return kept || shellPage(url); });
  });
}

// Work that goes on after the answer. When a kept copy answered first (a slow network),
// the event can no longer be extended; the work goes on all the same.
function extend(event, work) {
  var done = work.catch(function () {});
  try { event.waitUntil(done); } catch (e) { /* answered already */ }
}

function keepPage(url, res) {
  return res.blob().then(function (body) {
    var headers = new Headers(res.headers);
    headers.set('X-Kept-At', String(Date.now()));
    return caches.open(PAGES).then(function (c) {
      // Deleted first, so that the page goes to the end: the oldest are the first keys.
      return c.delete(url.href).then(function () {
        return c.put(url.href, new Response(body, { status: 200, headers: headers }));
      }).then(function () { return c.keys(); }).then(function (keys) {
        return Promise.all(keys.slice(0, Math.max(0, keys.length - KEEP_PAGES)).map(function (k) { return c.delete(k); }));
      });
    });
  });
}

// A kept page, with its offline line shown: when it was kept, in the page's words.
function keptPage(url) {
  return caches.open(PAGES).then(function (c) { return c.match(url.href); }).then(function (kept) {
    if (!kept) { return null; }
    var at = new Date((Number(kept.headers.get('X-Kept-At')) || Date.now()) + BEIJING_MS);
    var headers = new Headers(kept.headers);
    headers.delete('Content-Length');
    return kept.text().then(function (html) {
      html = html.replace(/<p class="offline-line" data-when="([^"]*)" data-months="([^"]*)" hidden>([^<]*)<\/p>/,
        function (all, when, months, line) {
          var stamp = when.replace('%{mon}', months.split(',')[at.getUTCMonth()] || String(at.getUTCMonth() + 1))
            .replace('%{d}', String(at.getUTCDate()))
            .replace('%{time}', pad(at.getUTCHours()) + ':' + pad(at.getUTCMinutes()));
          return '<p class="offline-line" role="status">' + line.replace('%{when}', stamp) + '</p>';
        });
      return new Response(html, { status: 200, headers: headers });
    });
  });
}

function pad(n) { return (n < 10 ? '0' : '') + n; }

// The kept offline page (or the outbox, asked for by its own path).
function shellPage(url) {
  var own = SHELL_PAGES.indexOf(url.pathname) >= 0 ? url.pathname : '/offline';
  return caches.open(SHELL).then(function (c) { return c.match(own); }).then(function (res) {
    return res || Response.error();
  });
}

// Feedback: sent when the network answers; kept for later when it does not.
function sendOrKeep(request, url) {
  var copy = request.clone();
  return fetch(request).catch(function () {
    return copy.formData().then(function (form) { return keepFeedback(url, form); }).then(function (kept) {
      var next = kept ? '/feedback/outbox?saved=1' : '/feedback/outbox?full=1';
      return Response.redirect(new URL(next, self.location.origin).href, 303);
    });
  });
}

// A key made on the phone for each kept item (a kept page carries one fixed key, and
// two items sent from it must stay two): 32 hex digits, as the server's own.
function newKey() {
  var bytes = new Uint8Array(16);
  self.crypto.getRandomValues(bytes);
  return Array.prototype.map.call(bytes, function (b) { return (b < 16 ? '0' : '') + b.toString(16); }).join('');
}

function asJson(value) {
  return new Response(JSON.stringify(value), { headers: { 'Content-Type': 'application/json' } });
}

function keepFeedback(url, form) {
  var item = { key: newKey(), station: Number(FEEDBACK.exec(url.pathname)[1]), saved: Date.now(), state: 'waiting', fields: {} };
  ['kind', 'rating', 'body', 'reporter', 'phone', 'website'].forEach(function (k) {
    var v = form.get(k);
    if (typeof v === 'string') { item.fields[k] = v; }
  });
  return caches.open(OUTBOX).then(function (c) {
    return c.keys().then(function (keys) {
      if (keys.length >= KEEP_FEEDBACK) { return false; }
      return c.put('/outbox/' + item.key, asJson(item)).then(function () {
        if (self.registration.sync) { return self.registration.sync.register('outbox').catch(function () {}); }
      }).then(function () { return true; });
    });
  });
}

// Sends what waits, one at a time, each with a fresh CSRF token. No network, 429 and
// 5xx: the item stays for later. 400, 403, 404, 410: refused, with the server's reason,
// for the worker to change or delete. The submission key makes a second send of a
// stored item return its receipt instead of storing it again.
// The kept items waiting to be sent, with their keys in the cache.
function waitingItems(c) {
  return c.keys().then(function (keys) {
    return Promise.all(keys.map(function (k) {
      return c.match(k).then(function (r) { return r ? r.json() : null; }).then(function (item) {
        return item && item.state === 'waiting' ? { key: k, item: item } : null;
      }, function () { return null; });
    }));
  }).then(function (found) { return found.filter(Boolean); });
}

var flushing = null;
function flush() {
  if (flushing) { return flushing; }
  flushing = caches.open(OUTBOX).then(function (c) {
    return waitingItems(c).then(function (found) {
      // Oldest first (a rewritten entry moves to the end of the cache's keys).
      var queue = found.sort(function (a, b) { return a.item.saved - b.item.saved; });
      return queue.reduce(function (done, next) {
        return done.then(function (online) {
          if (!online) { return false; }
          return send(next.item).then(function (result) {
            return c.put(next.key, asJson(result.item)).then(function () { return result.online; });
          });
        });
      }, Promise.resolve(true));
    });
  }).then(tell, tell).then(waiting).catch(function () { return 0; }).then(function (left) {
    flushing = null;
    return left;
  });
  return flushing;
}

// How many items still wait (a Background Sync with some left fails, so that the
// browser tries again later).
function waiting() {
  return caches.open(OUTBOX).then(waitingItems).then(function (items) { return items.length; });
}

function send(item) {
  var json = { Accept: 'application/json' };
  return fetch('/feedback/token', { credentials: 'same-origin', cache: 'no-store', headers: json }).then(function (res) {
    if (!res.ok) { return { status: res.status }; }
    return res.json().then(function (token) {
      var body = new URLSearchParams();
      Object.keys(item.fields).forEach(function (k) { body.set(k, item.fields[k]); });
      body.set('csrf', token.csrf);
      body.set('submission', item.key);
      return fetch('/stations/' + item.station + '/feedback', {
        method: 'POST', body: body, credentials: 'same-origin', cache: 'no-store', headers: json
      });
    });
  }).then(function (res) {
    if (res.ok) {
      return res.json().then(function (answer) {
        item.state = 'sent';
        item.receipt = answer.receipt;
        return { item: item, online: true };
      });
    }
    if (res.status === 429 || res.status >= 500) {
      item.tries = (item.tries || 0) + 1;
      return { item: item, online: false };
    }
    var reason = res.json ? res.json().catch(function () { return {}; }) : Promise.resolve({});
    return reason.then(function (answer) {
      item.state = 'refused';
      item.status = res.status;
      item.reason = (answer.error && answer.error.message) || String(res.status);
      return { item: item, online: true };
    });
  }, function () {
    return { item: item, online: false };
  });
}

// The open pages move sent receipts into "my feedback" and show what is left.
function tell() {
  return self.clients.matchAll({ type: 'window' }).then(function (list) {
    list.forEach(function (client) { client.postMessage({ type: 'outbox' }); });
  });
}

self.addEventListener('message', function (event) {
  if (event.data && event.data.type === 'flush') { event.waitUntil(flush()); }
});

self.addEventListener('sync', function (event) {
  if (event.tag === 'outbox') {
    event.waitUntil(flush().then(function (left) {
      if (left) { throw new Error(left + ' feedback items still wait for the network'); }
    }));
  }
});
