/* DualCarbon — the pages' only script besides htmx (a static file: the Content-Security-Policy allows no
   inline script or event-handler attributes).
   <select data-autosubmit> submits its form when changed (the year pickers); a <noscript> button remains. */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit") && target.form) {
      if (typeof target.form.requestSubmit === "function") {
        target.form.requestSubmit();
      } else {
        target.form.submit();
      }
    }
  });
})();
