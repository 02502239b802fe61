// yizhan map: clusters and stations from /api/map for the visible area.
// No inline script anywhere (strict CSP); every text comes from data attributes.
(function () {
  'use strict';
  var el = document.getElementById('map');
  if (!el || !window.L) { return; }
  var d = el.dataset;
  var labels = {};
  try { labels = JSON.parse(d.labels || '{}'); } catch (e) { labels = {}; }
  var status = document.getElementById('map-status');
  var statusText = status && status.querySelector('.map-status-text');
  // A message the worker closed stays closed until a different one comes.
  var dismissed = null;
  function say(text) {
    if (!statusText) { return; }
    if (text && text === dismissed) { return; }
    statusText.textContent = text || '';
    status.hidden = !text;
  }
  if (status) {
    status.querySelector('.map-status-close').addEventListener('click', function () {
      dismissed = statusText.textContent;
      status.hidden = true;
    });
  }
  function node(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) { n.className = cls; }
    if (text !== undefined) { n.textContent = text; }
    return n;
  }

  // The view lives in the URL hash (#zoom/lat/lon) so a shared link opens the same place.
  var view = (location.hash.match(/^#(\d+)\/(-?[\d.]+)\/(-?[\d.]+)$/) || []).slice(1).map(Number);
  // Without a view in the URL: the district filtered on, if any.
  if (view.length !== 3 && d.start) { view = d.start.split('/').map(Number); }
  el.classList.add('live');
  var map = L.map(el, { minZoom: 3, maxZoom: 19, zoomControl: true });
  if (view.length === 3 && view.every(isFinite)) {
    map.setView([view[1], view[2]], view[0]);
  } else {
    map.setView([39.93, 116.40], 10);
  }

  var tiles = L.tileLayer(d.tileUrl, { attribution: d.tileAttribution, maxZoom: 19 });
  var tileErrors = 0;
  tiles.on('tileerror', function () {
    tileErrors += 1;
    if (tileErrors === 3) { el.classList.add('no-tiles'); say(d.offline); }
  });
  tiles.on('tileload', function () { el.classList.remove('no-tiles'); });
  tiles.addTo(map);

  // District names, so the map still reads without tiles: in a pane below the
  // markers, and hidden where a cluster would sit on them (see hideCoveredLabels).
  map.createPane('districts');
  map.getPane('districts').style.zIndex = 450;
  map.getPane('districts').style.pointerEvents = 'none';
  var districtLayer = L.layerGroup().addTo(map);
  var labelMarkers = [];
  Array.prototype.forEach.call(document.querySelectorAll('#district-labels li'), function (li) {
    var lat = Number(li.dataset.lat), lon = Number(li.dataset.lon);
    var label = node('span', 'district-name', li.textContent.trim());
    labelMarkers.push(L.marker([lat, lon], {
      icon: L.divIcon({ className: 'district-label', html: label, iconSize: null }),
      interactive: false, keyboard: false, pane: 'districts'
    }).addTo(districtLayer));
  });
  function districtsVisible() {
    var z = map.getZoom();
    if (z <= 12) { districtLayer.addTo(map); } else { districtLayer.remove(); }
  }

  var layer = L.layerGroup().addTo(map);
  // The phone's position once "locate me" found it: station links then carry it,
  // so the station page can say how far away it is.
  var mine = '';
  var pending = null;

  function popup(p) {
    var box = node('div', 'popup');
    if (p.photo) {
      var img = node('img', 'popup-photo');
      img.src = '/photos/' + p.photo + '/small.jpg';
      img.alt = '';
      box.appendChild(img);
    }
    box.appendChild(node('strong', 'popup-name', p.name));
    box.appendChild(node('p', 'state state-' + p.state, p.state_text));
    if (p.facilities && p.facilities.length) {
      var chips = node('p', 'chips');
      p.facilities.forEach(function (k) { chips.appendChild(node('span', 'chip chip-' + k, labels[k] || k)); });
      box.appendChild(chips);
    }
    var links = node('p', 'popup-links');
    var a = node('a', 'button popup-details', d.details);
    a.href = '/stations/' + p.id + mine;
    var n = node('a', 'button secondary popup-nav', d.navigate);
    n.href = '/stations/' + p.id + mine + '#nav-apps';
    links.appendChild(a);
    links.appendChild(n);
    box.appendChild(links);
    return box;
  }

  function stationIcon(p) {
    // Shape and glyph differ, not only colour: open is a filled round pin with a tick.
    var glyph = p.state === 'open' ? '✓' : (p.state === 'unknown' ? '?' : '✕');
    var span = node('span', 'pin-glyph', glyph);
    return L.divIcon({ className: 'pin pin-' + p.state, html: span, iconSize: [34, 34], iconAnchor: [17, 17], popupAnchor: [0, -14] });
  }

  function clusterIcon(count) {
    var size = count < 10 ? 36 : count < 100 ? 42 : count < 1000 ? 50 : 58;
    var span = node('span', 'cluster-count', String(count));
    return L.divIcon({ className: 'cluster', html: span, iconSize: [size, size] });
  }

  // One popup for the map, not bound to a marker: reloading the markers after a
  // pan (the popup's own auto-pan included) leaves it open.
  var openId = null;
  var sheet = L.popup({ autoPanPadding: [16, 16], maxWidth: 300 });
  map.on('popupclose', function (e) { if (e.popup === sheet) { openId = null; } });
  // Whatever sits over the top of the map (the zoom buttons, the message line)
  // ends this far down; an opened popup is panned to start below it.
  function coveredTop() {
    var top = el.getBoundingClientRect().top, bottom = 0;
    var covers = [el.querySelector('.leaflet-control-zoom')];
    if (status && !status.hidden) { covers.push(status); }
    covers.forEach(function (c) { if (c) { bottom = Math.max(bottom, c.getBoundingClientRect().bottom - top); } });
    return Math.ceil(bottom) + 8;
  }
  function show(latlng, p) {
    openId = p.id;
    // The popup with Leaflet's own margins (44 px) and the side padding fits the screen.
    sheet.options.maxWidth = Math.max(160, Math.min(300, el.clientWidth - 44 - 32));
    sheet.options.autoPanPaddingTopLeft = L.point(16, coveredTop());
    sheet.setLatLng(latlng).setContent(popup(p)).openOn(map);
  }

  // Server cells are a grid; two clusters on either side of a cell border can sit
  // almost on top of each other. Two circles that overlap by more than a quarter
  // of the smaller one's diameter are merged (counts add up, position weighted by count).
  function radius(count) { return (count < 10 ? 36 : count < 100 ? 42 : count < 1000 ? 50 : 58) / 2; }
  function mergeClusters(features) {
    var clusters = [], rest = [];
    features.forEach(function (f) {
      if (f.properties.cluster) {
        var c = f.geometry.coordinates;
        clusters.push({ lat: c[1], lng: c[0], count: f.properties.count, zoom: f.properties.expansion_zoom,
          pt: map.latLngToLayerPoint([c[1], c[0]]) });
      } else { rest.push(f); }
    });
    var merged = true;
    while (merged) {
      merged = false;
      for (var i = 0; i < clusters.length && !merged; i++) {
        for (var j = i + 1; j < clusters.length; j++) {
          var a = clusters[i], b = clusters[j];
          var ra = radius(a.count), rb = radius(b.count);
          if (ra + rb - a.pt.distanceTo(b.pt) > 0.5 * Math.min(ra, rb)) {
            var n = a.count + b.count;
            a.lat = (a.lat * a.count + b.lat * b.count) / n;
            a.lng = (a.lng * a.count + b.lng * b.count) / n;
            a.count = n;
            a.zoom = Math.min(a.zoom, b.zoom);
            a.pt = map.latLngToLayerPoint([a.lat, a.lng]);
            clusters.splice(j, 1);
            merged = true;
            break;
          }
        }
      }
    }
    return { clusters: clusters, stations: rest };
  }

  function hideCoveredLabels(markers) {
    labelMarkers.forEach(function (m) {
      var icon = m.getElement();
      if (!icon) { return; }
      var name = icon.firstChild;
      var box = name ? name.getBoundingClientRect() : null;
      var covered = box && markers.some(function (c) {
        var r = c.icon && c.icon.getBoundingClientRect();
        return r && !(r.right < box.left || r.left > box.right || r.bottom < box.top || r.top > box.bottom);
      });
      icon.style.visibility = covered ? 'hidden' : '';
    });
  }

  function render(data) {
    layer.clearLayers();
    var parts = mergeClusters(data.features);
    var drawn = [];
    parts.clusters.forEach(function (c) {
      var latlng = [c.lat, c.lng];
      var m = L.marker(latlng, { icon: clusterIcon(c.count), title: c.count + ' ' + d.stations, alt: c.count + ' ' + d.stations });
      m.on('click', function () { map.setView(latlng, c.zoom); });
      m.addTo(layer);
      drawn.push({ icon: m.getElement() });
    });
    parts.stations.forEach(function (f) {
      var c = f.geometry.coordinates;
      var latlng = [c[1], c[0]];
      var p = f.properties;
      var m = L.marker(latlng, { icon: stationIcon(p), title: p.name, alt: p.name });
      m.on('click', function () { show(latlng, p); });
      m.addTo(layer);
      drawn.push({ icon: m.getElement() });
      // The open popup follows the fresh data of its station; unchanged, it is left
      // alone, so that a tap on it while the markers reload is not lost.
      if (openId === p.id && map.hasLayer(sheet)) {
        var fresh = popup(p);
        var shown = sheet.getContent();
        if (!shown || !shown.outerHTML || shown.outerHTML !== fresh.outerHTML) { sheet.setContent(fresh); }
      }
    });
    // Markers drawn: merged clusters plus single stations.
    el.dataset.features = String(parts.clusters.length + parts.stations.length);
    hideCoveredLabels(drawn);
  }

  function load() {
    var b = map.getBounds();
    var clamp = function (v, lo, hi) { return Math.max(lo, Math.min(hi, v)); };
    var bbox = [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90), clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90)]
      .map(function (v) { return v.toFixed(5); }).join(',');
    var url = '/api/map?bbox=' + bbox + '&zoom=' + Math.round(map.getZoom()) + (d.query ? '&' + d.query : '');
    if (pending) { pending.abort(); }
    pending = window.AbortController ? new AbortController() : null;
    el.dataset.loading = '1';
    fetch(url, pending ? { signal: pending.signal } : {})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) { render(data); el.dataset.loading = ''; if (tileErrors < 3) { say(''); } })
      .catch(function (e) { if (e.name !== 'AbortError') { el.dataset.loading = ''; say(d.loadFailed); } });
    var c = map.getCenter();
    history.replaceState(null, '', '#' + map.getZoom() + '/' + c.lat.toFixed(5) + '/' + c.lng.toFixed(5));
    districtsVisible();
  }
  map.on('moveend', load);
  load();

  // "Locate me": geolocation when the browser has it; refusal leaves the map usable.
  var locate = document.getElementById('locate');
  if (locate && navigator.geolocation) {
    locate.hidden = false;
    var me = null;
    locate.addEventListener('click', function () {
      say(d.locating);
      navigator.geolocation.getCurrentPosition(function (pos) {
        var ll = [pos.coords.latitude, pos.coords.longitude];
        if (me) { me.remove(); }
        me = L.circleMarker(ll, { radius: 9, className: 'me' }).addTo(map);
        mine = '?lat=' + ll[0].toFixed(6) + '&lon=' + ll[1].toFixed(6);
        map.setView(ll, 15);
        var box = node('span', '');
        var a = node('a', 'button', d.near);
        a.href = '/near?lat=' + ll[0].toFixed(6) + '&lon=' + ll[1].toFixed(6);
        box.appendChild(a);
        statusText.textContent = '';
        statusText.appendChild(box);
        status.hidden = false;
      }, function (err) {
        say(err && err.code === 1 ? d.denied : d.unavailable);
      }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
    });
  }
})();
