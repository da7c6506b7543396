// Analytics panels below the fold are filled when they come near the viewport (issue 15).
//
// A page's layout renders its KPI row and Insights at once; each chart or grid panel comes
// with a disabled one-tick interval (components.analytics.fill_trigger) and its id in the body's
// data-pb-fill attribute. When any of the panel shows in the viewport, this ticks the
// interval (sets its n_intervals), which asks the panel's callback as a page load used to. A
// chart nobody scrolls to is neither computed nor drawn, and drawing (Plotly, AG Grid) is most
// of a page's load time.
(function () {
  "use strict";
  // a panel is asked for once any of it shows: its answer is usually cached and draws in
  // ~0.1 s, and drawing panels nobody sees yet is what made pages slow to settle
  var MARGIN = "0px";
  var observer = null;
  var bodyOf = new WeakMap(); // observed card -> its panel body (carries the interval's id)

  var pending = new Set(); // watched panel bodies not asked yet: swept each frame the page changes

  // true once nothing more is needed: asked now, or filled already (a filter change may have
  // filled the panel through its other inputs); false when Dash cannot take the tick yet
  function ask(body) {
    if (body.childElementCount > 0) return true;
    if (!window.dash_clientside || !window.dash_clientside.set_props) return false;
    // the tick itself, not "enable the interval": asking through the interval's own timer
    // cost a re-render and a timer task before the request went out (~30-70 ms on a revisit)
    window.dash_clientside.set_props(JSON.parse(body.getAttribute("data-pb-fill")), {n_intervals: 1});
    return true;
  }

  function cardOf(body) {
    return body.closest(".pb-panel") || body; // the body is empty (0 px high) until filled
  }

  function settle(body) {
    pending.delete(body);
    if (observer) observer.unobserve(cardOf(body));
  }

  // any of the element shows in the viewport (a hidden one has an empty box)
  function onScreen(element) {
    var box = element.getBoundingClientRect();
    return box.bottom > 0 && box.right > 0 && box.top < window.innerHeight && box.left < window.innerWidth;
  }

  function onSeen(entries) {
    entries.forEach(function (entry) {
      if (!entry.target.isConnected) {
        observer.unobserve(entry.target); // the page was left before the panel was seen
        return;
      }
      if (!entry.isIntersecting) return;
      var body = bodyOf.get(entry.target);
      if (!body || ask(body)) {
        if (body) pending.delete(body);
        observer.unobserve(entry.target);
      }
    });
  }

  // The observer reports a card when it starts to show; a panel can still be missed between
  // reports: asked before Dash could take the tick, or moved into view by panels above it
  // growing or shrinking without a report in that frame (a quick scroll on a slow phone). Each
  // frame the page scrolls or changes, the panels not asked yet are checked where they are now:
  // a handful of boxes per page.
  function sweep() {
    pending.forEach(function (body) {
      if (!body.isConnected) {
        settle(body); // the page was left before the panel was seen
      } else if (onScreen(cardOf(body)) && ask(body)) {
        settle(body);
      }
    });
  }

  // A chart needs two scripts that dcc.Graph fetches only once it mounts, i.e. after the
  // chart's answer has come: dcc's graph code (a webpack chunk) and plotly.js. Fetching and
  // compiling them then put ~0.1-0.2 s on every page load's critical path. They are started when
  // a page with panels appears instead, while the panels' answers are on the way.
  var preloaded = false;
  function preloadCharts() {
    var plotlyUrl = window._dashPlotlyJSURL; // set by Dash's renderer at start-up
    if (preloaded || !plotlyUrl) return;
    preloaded = true;
    // The chunk registers itself with dcc's webpack runtime when it runs, so dcc.Graph finds it
    // loaded (a graph that mounts first fetches it itself, as it would have).
    var prefix = plotlyUrl.slice(0, plotlyUrl.indexOf("_dash-component-suites/"));
    addScript(prefix + "_dash-component-suites/dash/dcc/async-graph.js");
    // dcc.Graph loads plotly.js only when window.Plotly is unset, and otherwise waits on whatever
    // it holds (Promise.resolve(window.Plotly || load())): while this script loads, window.Plotly
    // holds a promise of it, so the bundle is never fetched twice. The bundle's own
    // `var Plotly = ...` replaces the promise with plotly.js before the promise resolves.
    if (window.Plotly) return;
    var script = addScript(plotlyUrl);
    window.Plotly = new Promise(function (resolve, reject) {
      script.onload = function () {
        resolve(window.Plotly);
      };
      script.onerror = function (error) {
        window.Plotly = undefined; // the next chart tries again, as dcc.Graph would
        reject(error);
      };
    });
    window.Plotly.catch(function () {}); // a failed load is the charts' error, not an unhandled one
  }

  // (its load events fire in a later task: handlers set after this call are in time)
  function addScript(url) {
    var script = document.createElement("script");
    script.async = true;
    script.src = url;
    document.body.appendChild(script);
    return script;
  }

  function watchNew() {
    var fresh = document.querySelectorAll("[data-pb-fill]:not([data-pb-watched])");
    if (fresh.length) {
      // after this frame's asks: their requests go out before plotly.js compiles
      window.setTimeout(preloadCharts, 0);
    }
    if (!("IntersectionObserver" in window)) {
      // no observer (very old browsers): fill every panel now, as pages did before
      document.querySelectorAll("[data-pb-fill]:not([data-pb-watched])").forEach(function (body) {
        body.setAttribute("data-pb-watched", "1");
        if (!ask(body)) pending.add(body); // asked by the sweep once Dash can take it
      });
      return;
    }
    observer = observer || new IntersectionObserver(onSeen, {rootMargin: MARGIN});
    document.querySelectorAll("[data-pb-fill]:not([data-pb-watched])").forEach(function (body) {
      body.setAttribute("data-pb-watched", "1");
      var card = cardOf(body);
      if (onScreen(card) && ask(body)) return; // now, not a frame or two later when the observer reports it
      pending.add(body);
      bodyOf.set(card, body);
      observer.observe(card);
    });
  }

  // Dash renders pages after this script runs and on every navigation: look for new panels
  // once per frame in which the DOM changed, not once per mutation (Plotly adds thousands).
  var queued = false;
  function schedule() {
    if (queued) return;
    queued = true;
    window.requestAnimationFrame(function () {
      queued = false;
      watchNew();
      sweep();
    });
  }
  function start() {
    new MutationObserver(schedule).observe(document.body, {childList: true, subtree: true});
    window.addEventListener("scroll", schedule, {passive: true});
    window.addEventListener("resize", schedule, {passive: true});
    schedule();
  }
  if (document.body) {
    start();
  } else {
    document.addEventListener("DOMContentLoaded", start);
  }
})();
