/* Vega-Lite charts in the browser (kartlegg/lib/vega.py describes them). Each `[data-vega-spec]` element already
 * holds the server's SVG; this script renders the same spec with vega-embed (tooltips, crisp scaling) and swaps it
 * in only when rendering succeeded, so a failure leaves the server's picture.
 *
 * The Content-Security-Policy has no 'unsafe-eval': `ast: true` with vega-interpreter evaluates Vega's expressions
 * without Function(); no style element is injected (defaultStyle off; the tooltip's style is in kartlegg.css).
 * Charts that htmx swaps in (the explorer) are embedded on `htmx:load`.
 */
(function () {
  "use strict";
  // SSB's way of writing numbers, as the server renders them (lib/vega.py NORWEGIAN).
  var LOCALE = { decimal: ",", thousands: "\u00a0", grouping: [3], currency: ["", "\u00a0kr"], minus: "\u2212" };

  function embed(root) {
    if (typeof window.vegaEmbed !== "function" || !window.vegaInterpreter) return;
    var holders = root.querySelectorAll ? root.querySelectorAll("[data-vega-spec]") : [];
    Array.prototype.forEach.call(holders, function (holder) {
      if (holder.getAttribute("data-vega-state")) return;
      var data = document.getElementById(holder.getAttribute("data-vega-spec"));
      if (!data) return;
      holder.setAttribute("data-vega-state", "pending");
      var spec = JSON.parse(data.textContent);
      var target = document.createElement("div");
      window
        .vegaEmbed(target, spec, {
          renderer: "svg",
          actions: false,
          ast: true,
          expr: window.vegaInterpreter.expressionInterpreter,
          formatLocale: LOCALE,
          defaultStyle: false,
          tooltip: { disableDefaultStyle: true },
        })
        .then(function () {
          holder.replaceChildren(target);
          holder.setAttribute("data-vega-state", "rendered");
        })
        .catch(function (error) {
          holder.setAttribute("data-vega-state", "failed");
          if (window.console) window.console.warn("Vega-Lite chart kept as server SVG:", error);
        });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    embed(document);
  });
  document.addEventListener("htmx:load", function (event) {
    embed(event.target);
  });
})();
