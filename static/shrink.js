// yizhan photo forms: before a form marked data-shrink is sent, each chosen photo
// larger than 2000 px on its longer side (or over 1.5 MB) is drawn again at most
// 2000 px wide or high and sent as a JPEG, so a phone on a slow connection uploads
// a few hundred KB instead of several MB. The server checks and re-encodes every
// photo anyway; without JavaScript, or where the browser cannot do it, the original
// files go as chosen. No inline script (strict CSP).
(function () {
  'use strict';
  var MAX_SIDE = 2000;
  var MAX_BYTES = 1.5 * 1024 * 1024;
  var QUALITY = 0.85;

  // A photo input with data-left: after choosing, the label says how many more may be
  // added, the chosen photos are shown small, and too many is said before sending.
  Array.prototype.forEach.call(document.querySelectorAll('input[type=file][data-left]'), function (input) {
    var left = Number(input.dataset.left) || 0;
    var label = input.id && document.querySelector('label[for="' + input.id + '"]');
    var count = input.parentNode.querySelector('.photo-count');
    var previews = input.parentNode.querySelector('.photo-previews');
    var urls = [];
    input.addEventListener('change', function () {
      var n = input.files ? input.files.length : 0;
      urls.forEach(function (u) { URL.revokeObjectURL(u); });
      urls = [];
      if (previews) {
        previews.textContent = '';
        Array.prototype.slice.call(input.files || [], 0, left).forEach(function (f) {
          var li = document.createElement('li');
          var img = document.createElement('img');
          img.alt = f.name;
          if (window.URL && URL.createObjectURL) { img.src = URL.createObjectURL(f); urls.push(img.src); }
          li.appendChild(img);
          previews.appendChild(li);
        });
        previews.hidden = n === 0;
      }
      var tooMany = n > left;
      input.setCustomValidity(tooMany ? input.dataset.tooMany : '');
      if (label) {
        label.textContent = n >= left && !tooMany ? input.dataset.full : input.dataset.label.replace('{n}', String(Math.max(0, left - n)));
      }
      if (count) {
        count.textContent = tooMany ? input.dataset.tooMany : (n ? input.dataset.chosen.replace('{n}', String(n)) : '');
        count.hidden = !count.textContent;
        count.classList.toggle('field-error', tooMany);
      }
    });
  });

  if (!window.createImageBitmap || !window.DataTransfer || !HTMLCanvasElement.prototype.toBlob) { return; }

  function shrink(file) {
    if (!/^image\/(jpeg|png|webp)$/.test(file.type)) { return Promise.resolve(file); }
    // Orientation from EXIF is applied when the bitmap is made.
    return createImageBitmap(file, { imageOrientation: 'from-image' }).then(function (bitmap) {
      var side = Math.max(bitmap.width, bitmap.height);
      if (side <= MAX_SIDE && file.size <= MAX_BYTES) { bitmap.close(); return file; }
      var scale = Math.min(1, MAX_SIDE / side);
      var canvas = document.createElement('canvas');
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      bitmap.close();
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          if (!blob || blob.size >= file.size) { resolve(file); return; }
          var name = file.name.replace(/\.[^.]*$/, '') + '.jpg';
          resolve(new File([blob], name, { type: 'image/jpeg', lastModified: file.lastModified }));
        }, 'image/jpeg', QUALITY);
      });
    }).catch(function () { return file; });
  }

  Array.prototype.forEach.call(document.querySelectorAll('form[data-shrink]'), function (form) {
    var busy = false;
    form.addEventListener('submit', function (ev) {
      if (busy) { ev.preventDefault(); return; }
      var inputs = Array.prototype.filter.call(form.querySelectorAll('input[type=file]'), function (i) {
        return i.files && i.files.length;
      });
      if (!inputs.length) { return; }
      ev.preventDefault();
      busy = true;
      var button = form.querySelector('button[type=submit], button:not([type])');
      if (button) { button.disabled = true; button.setAttribute('aria-busy', 'true'); }
      var note = form.querySelector('.shrink-status');
      if (note) { note.hidden = false; }
      Promise.all(inputs.map(function (input) {
        return Promise.all(Array.prototype.map.call(input.files, shrink)).then(function (files) {
          var list = new DataTransfer();
          files.forEach(function (f) { list.items.add(f); });
          input.files = list.files;
        });
      })).catch(function () { /* send the files as chosen */ }).then(function () {
        if (button) { button.disabled = false; button.removeAttribute('aria-busy'); }
        // submit() sends the form without a second submit event.
        form.submit();
      });
    });
  });
})();
