/* Behaviour shared by every page. No inline handlers anywhere (the Content-Security-Policy forbids them):
 * - a <select data-submit-on-change> submits its form when the choice changes (the language switcher).
 */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.hasAttribute("data-submit-on-change") && target.form) {
      target.form.submit();
    }
  });
})();
