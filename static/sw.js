// The service worker, served at /sw.js with the release filled in. It keeps the app
// shell of this release (styles, scripts, icons) so that pages load without fetching
// them again, and drops the shell of an older release when this one takes over.
'use strict';

var RELEASE = '__RELEASE__';
var SHELL = 'yizhan-shell-' + RELEASE;
var SHELL_FILES = __SHELL_FILES__;

self.addEventListener('install', function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) {
    return cache.addAll(SHELL_FILES);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener('activate', function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) {
      return k.indexOf('yizhan-shell-') === 0 && k !== SHELL;
    }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

// Static files are named by their content (?v=…): one kept is the one asked for.
self.addEventListener('fetch', function (event) {
  var request = event.request;
  if (request.method !== 'GET') { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.indexOf('/static/') !== 0) { return; }
  event.respondWith(caches.match(request).then(function (kept) {
    return kept || fetch(request);
  }));
});
