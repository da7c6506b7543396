"""The forecast models' names, apart from the models themselves.

The CLI lists them in ``pulseboard forecast --help``; importing :mod:`dashboard.forecast.models`
for that would load scipy (~0.8 s) at the start of every CLI command.
"""

from __future__ import annotations

AUTO = "auto"
#: the models ``auto`` chooses among, in the order they are tried
MODELS = ("prophet", "ets", "theta", "snaive", "naive")
#: what ``--model`` accepts
CHOICES = (AUTO, *MODELS)
#: the model name of ``auto``'s equal-weight combination, and its members
COMBO = "combo"
COMBO_PARTS = ("ets", "theta")
