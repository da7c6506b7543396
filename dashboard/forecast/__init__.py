"""Forecasting and anomalies on the metric layer (issue 11).

- :mod:`.series` turns a metric frame into whole periods fit to model (partial period, gaps,
  leading zeros, outliers);
- :mod:`.models` Prophet, ETS, Theta, seasonal-naive and naive behind one interface;
- :mod:`.backtest` rolling-origin sMAPE and MASE; :mod:`.engine` chooses and explains;
- :mod:`.anomalies` points outside the expected band, as rows other parts can use;
- :mod:`.projection` period-end projection and goal probability for KPI cards;
- :mod:`.service` the workspace-scoped entry point (metric query, cache, run records).

Import the submodules you need: this package imports nothing heavy by itself, so the server
pays for statsmodels and Prophet only when a forecast is asked for.
"""
