// Clientside callbacks (no server round trip).
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  pulseboard: {
    toggleNavbar: function (nClicks, isOpen) {
      return nClicks ? !isOpen : isOpen;
    },
    // KPI rows: a click on "More"/"Fewer" flips that page's row; a row just rendered takes the
    // state remembered for its page (folded unless the user unfolded it before).
    foldKpis: function (clicks, remembered, toggleIds) {
      var dc = window.dash_clientside;
      var state = Object.assign({}, remembered || {});
      var trig = dc.callback_context.triggered_id;
      var clicked = trig && typeof trig === "object" && dc.callback_context.triggered[0].value;
      if (clicked && typeof trig.page === "string") {
        state[trig.page] = !state[trig.page];
      }
      var classes = (toggleIds || []).map(function (id) {
        return "pb-kpi-row" + (state[id.page] ? " pb-kpi-unfolded" : " pb-kpi-folded");
      });
      return [classes, clicked ? state : dc.no_update];
    },
  },
});
