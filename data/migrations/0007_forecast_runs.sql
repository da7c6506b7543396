-- Forecast runs (issue 11): one row per computed forecast, with what the AI-performance page
-- shows (model, duration, series length, backtest error) and a refusal's message; the forecast
-- rows are kept beside it so a run can later be scored against the actual values.
CREATE SEQUENCE forecast_run_ids START 1;
CREATE TABLE forecast_runs (
    id BIGINT PRIMARY KEY DEFAULT nextval('forecast_run_ids'),
    workspace_id BIGINT NOT NULL, created_at TIMESTAMP NOT NULL,
    origin VARCHAR NOT NULL,            -- cli | page | card | bench
    metric VARCHAR NOT NULL, grain VARCHAR NOT NULL, filters VARCHAR,
    requested_model VARCHAR NOT NULL, model VARCHAR,
    horizon INTEGER NOT NULL, interval_width DOUBLE NOT NULL, train_until DATE,
    series_length INTEGER, duration_ms DOUBLE,
    backtest_smape DOUBLE, backtest_mase DOUBLE, backtest VARCHAR,
    status VARCHAR NOT NULL,            -- ok | refused | failed
    message VARCHAR
);
CREATE INDEX forecast_runs_ws ON forecast_runs (workspace_id, id);

CREATE TABLE forecast_rows (
    run_id BIGINT NOT NULL, workspace_id BIGINT NOT NULL, period DATE NOT NULL,
    yhat DOUBLE, lower DOUBLE, upper DOUBLE
);
