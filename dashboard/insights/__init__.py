"""AI insights: deterministic detectors over the metric layer, ranked, then narrated.

``engine.generate`` runs the detectors (``detect_changes``, ``detect_business``) on one
workspace's metrics, ranks and merges their findings (``rank``), and narrates each one
(``narrate`` offline, ``providers`` for OpenAI/Anthropic with a ``grounding`` check). Every
generation is recorded in the warehouse's ``ai_events`` table (``events``).
"""
