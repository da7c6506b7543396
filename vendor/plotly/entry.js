// The plotly.js that Pulseboard's charts need, built as plotly.js documents for custom bundles
// (lib/core + the trace modules): core already registers scatter; these are the other trace
// types the app's figures use (components/figures.py, components/insights.py). A figure with a
// type missing here draws nothing - tests/unit/test_plotly_bundle.py keeps the list complete.
'use strict';

var Plotly = require('plotly.js/lib/core');

Plotly.register([
    require('plotly.js/lib/bar'),
    require('plotly.js/lib/heatmap'),
    require('plotly.js/lib/funnel')
]);

module.exports = Plotly;
