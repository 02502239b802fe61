// yizhan: a "copy" button beside a read-only field (an invite link), shown only where
// the browser can copy; without it the field stays selectable by hand. No inline script.
(function () {
  'use strict';
  if (!navigator.clipboard || !window.isSecureContext) { return; }
  Array.prototype.forEach.call(document.querySelectorAll('button[data-copy]'), function (button) {
    var field = document.getElementById(button.dataset.copy);
    if (!field) { return; }
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener('click', function () {
      navigator.clipboard.writeText(field.value).then(function () {
        button.textContent = button.dataset.done;
        setTimeout(function () { button.textContent = label; }, 2000);
      }, function () {
        field.select();
      });
    });
  });
})();
