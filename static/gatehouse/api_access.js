// The API access page: copy a secret shown once to the clipboard. Loaded by src (the CSP
// refuses inline script); without it the secret can still be selected and copied by hand.
(function () {
  "use strict";
  if (!navigator.clipboard) {
    return;  // http pages other than localhost have no clipboard API
  }
  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var source = document.getElementById(button.dataset.copyTarget);
      if (!source) {
        return;
      }
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        button.textContent = "Copied";
      });
    });
  });
})();
