// Clientside callbacks (no server round trip).
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  pulseboard: {
    toggleNavbar: function (nClicks, isOpen) {
      return nClicks ? !isOpen : isOpen;
    },
  },
});
