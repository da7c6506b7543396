-- Every run accounts for every row it read: rows_read = inserted + updated + quarantined + skipped,
-- with the skipped rows counted per reason (JSON object), and it keeps its reconciliation: the
-- file's own totals against what the warehouse holds for the run (JSON object, see
-- data/reconcile.py).
ALTER TABLE ingest_runs ADD COLUMN skipped BIGINT DEFAULT 0;
ALTER TABLE ingest_runs ADD COLUMN skipped_reasons VARCHAR;
ALTER TABLE ingest_runs ADD COLUMN reconciliation VARCHAR;
