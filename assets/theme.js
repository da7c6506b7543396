// Light / dark / auto theme, chosen per user and saved on the server (callbacks/settings.py).
//
// The server renders the choice on <html> (data-pb-theme) with the resolved Bootstrap colour
// mode (data-bs-theme) and ag-grid mode (data-ag-theme-mode), and moves this file into <head>,
// so a page never paints in the wrong theme: "auto" is resolved here before the body exists.
(function () {
  var root = document.documentElement;
  var media = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  var CHOICES = ["light", "dark", "auto"];

  function resolve(choice) {
    return choice === "dark" || (choice === "auto" && media !== null && media.matches) ? "dark" : "light";
  }

  function apply(choice) {
    if (CHOICES.indexOf(choice) < 0) {
      choice = "light";
    }
    var mode = resolve(choice);
    root.setAttribute("data-pb-theme", choice);
    root.setAttribute("data-bs-theme", mode);
    root.setAttribute("data-ag-theme-mode", mode);
    return choice;
  }

  // Dash also includes every assets/ script at the end of <body>: run the set-up once.
  if (!window.pulseboardTheme) {
    apply(root.getAttribute("data-pb-theme") || "light");
    if (media !== null && media.addEventListener) {
      media.addEventListener("change", function () {
        if (root.getAttribute("data-pb-theme") === "auto") {
          apply("auto");
        }
      });
    }
    window.pulseboardTheme = { apply: apply, resolve: resolve };
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    pulseboard_theme: {
      // Navbar button (flip light <-> dark) or a light/dark/auto picker: apply at once, then hand
      // the choice to the store that the server saves; every picker on the page shows it.
      choose: function (nClicks, choices) {
        var dc = window.dash_clientside;
        var triggered = dc.callback_context.triggered_id;
        var choice;
        if (triggered && typeof triggered === "object") {
          choice = dc.callback_context.triggered[0].value;
        } else if (nClicks) {
          choice = resolve(root.getAttribute("data-pb-theme")) === "dark" ? "light" : "dark";
        }
        if (CHOICES.indexOf(choice) < 0) {
          return [dc.no_update, (choices || []).map(function () { return dc.no_update; })];
        }
        apply(choice);
        return [{ theme: choice }, (choices || []).map(function () { return choice; })];
      },
    },
  });
})();
