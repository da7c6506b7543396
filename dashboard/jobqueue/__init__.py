"""Background jobs on Celery workers (``PULSEBOARD_JOB_QUEUE=celery``).

- :mod:`.tasks` names every kind of job (upload, sync, insights, forecast) and its work function;
  both queues run the same functions.
- :mod:`.kinds` holds those work functions (payloads are ids and paths, never data).
- :mod:`.store` keeps a job's state and progress in Redis, so any web process can show it.
- :mod:`.registry` is the web side: the same API as :class:`dashboard.jobs.JobRegistry`.
- :mod:`.worker` is the worker side: the Celery app, the claim-once task and its lease.
"""
