-- Canonical tables (see data/schema.py and docs/data-model.md). No primary-key indexes: the
-- ingest layer upserts by (workspace_id, source, source_id) with a delete + insert inside one
-- transaction, which keeps bulk loads fast and avoids DuckDB's over-eager ART constraint checks.

CREATE TABLE payments (
    workspace_id BIGINT NOT NULL, source VARCHAR NOT NULL, source_id VARCHAR NOT NULL,
    ingested_at TIMESTAMP NOT NULL,
    created TIMESTAMP NOT NULL, kind VARCHAR, status VARCHAR NOT NULL,
    amount DECIMAL(18,2) NOT NULL, amount_refunded DECIMAL(18,2), fee DECIMAL(18,2), net DECIMAL(18,2),
    currency VARCHAR NOT NULL,
    amount_reporting DECIMAL(18,2), refunded_reporting DECIMAL(18,2), fee_reporting DECIMAL(18,2),
    customer_id VARCHAR, customer_email_hash VARCHAR, customer_name VARCHAR,
    product VARCHAR, channel VARCHAR, campaign VARCHAR, country VARCHAR, description VARCHAR
);

CREATE TABLE subscriptions (
    workspace_id BIGINT NOT NULL, source VARCHAR NOT NULL, source_id VARCHAR NOT NULL,
    ingested_at TIMESTAMP NOT NULL,
    customer_id VARCHAR NOT NULL, customer_email_hash VARCHAR, plan VARCHAR, status VARCHAR,
    "interval" VARCHAR, interval_count BIGINT, quantity BIGINT,
    amount DECIMAL(18,2) NOT NULL, currency VARCHAR NOT NULL, mrr DECIMAL(18,2), mrr_reporting DECIMAL(18,2),
    start_at TIMESTAMP NOT NULL, end_at TIMESTAMP, trial_end_at TIMESTAMP
);

CREATE TABLE customers (
    workspace_id BIGINT NOT NULL, source VARCHAR NOT NULL, source_id VARCHAR NOT NULL,
    ingested_at TIMESTAMP NOT NULL,
    email_hash VARCHAR, email VARCHAR, name VARCHAR, country VARCHAR, first_seen TIMESTAMP, channel VARCHAR
);

CREATE TABLE ad_daily (
    workspace_id BIGINT NOT NULL, source VARCHAR NOT NULL, source_id VARCHAR NOT NULL,
    ingested_at TIMESTAMP NOT NULL,
    date DATE NOT NULL, platform VARCHAR, campaign_id VARCHAR, campaign VARCHAR NOT NULL,
    spend DECIMAL(18,2), currency VARCHAR, spend_reporting DECIMAL(18,2),
    impressions BIGINT, clicks BIGINT, conversions DOUBLE,
    conversion_value DECIMAL(18,2), conversion_value_reporting DECIMAL(18,2)
);

CREATE TABLE email_campaigns (
    workspace_id BIGINT NOT NULL, source VARCHAR NOT NULL, source_id VARCHAR NOT NULL,
    ingested_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP NOT NULL, title VARCHAR, subject VARCHAR, list_name VARCHAR,
    recipients BIGINT, delivered BIGINT, opens BIGINT, unique_opens BIGINT, clicks BIGINT,
    unique_clicks BIGINT, unsubscribes BIGINT, bounces BIGINT,
    revenue DECIMAL(18,2), currency VARCHAR, revenue_reporting DECIMAL(18,2)
);

CREATE TABLE web_daily (
    workspace_id BIGINT NOT NULL, source VARCHAR NOT NULL, source_id VARCHAR NOT NULL,
    ingested_at TIMESTAMP NOT NULL,
    date DATE NOT NULL, channel VARCHAR, source_name VARCHAR, medium VARCHAR,
    sessions BIGINT, users BIGINT, new_users BIGINT, key_events DOUBLE,
    revenue DECIMAL(18,2), currency VARCHAR, revenue_reporting DECIMAL(18,2)
);

CREATE TABLE deals (
    workspace_id BIGINT NOT NULL, source VARCHAR NOT NULL, source_id VARCHAR NOT NULL,
    ingested_at TIMESTAMP NOT NULL,
    name VARCHAR, stage VARCHAR, pipeline VARCHAR, owner VARCHAR,
    amount DECIMAL(18,2), currency VARCHAR, amount_reporting DECIMAL(18,2),
    created_at TIMESTAMP NOT NULL, closed_at TIMESTAMP, won BOOLEAN
);

CREATE TABLE ai_events (
    workspace_id BIGINT NOT NULL, source VARCHAR NOT NULL, source_id VARCHAR NOT NULL,
    ingested_at TIMESTAMP NOT NULL,
    created TIMESTAMP NOT NULL, kind VARCHAR NOT NULL, provider VARCHAR, model VARCHAR,
    latency_ms DOUBLE, tokens BIGINT, cost DOUBLE, outcome VARCHAR, feedback BIGINT
);

-- Rows a connector or the validator rejected, with the reason; nothing is silently dropped.
CREATE SEQUENCE ingest_run_ids START 1;
CREATE TABLE ingest_runs (
    id BIGINT PRIMARY KEY DEFAULT nextval('ingest_run_ids'),
    workspace_id BIGINT NOT NULL, kind VARCHAR NOT NULL, source VARCHAR, name VARCHAR,
    started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP, duration_ms DOUBLE,
    rows_read BIGINT DEFAULT 0, inserted BIGINT DEFAULT 0, updated BIGINT DEFAULT 0,
    quarantined BIGINT DEFAULT 0, status VARCHAR NOT NULL, error VARCHAR
);

CREATE TABLE quarantine (
    workspace_id BIGINT NOT NULL, run_id BIGINT NOT NULL, source VARCHAR, file_name VARCHAR,
    row_number BIGINT, column_name VARCHAR, reason VARCHAR NOT NULL, raw VARCHAR, created_at TIMESTAMP NOT NULL
);

-- data_version changes whenever a workspace's data changes; cache keys include it.
CREATE TABLE workspace_state (
    workspace_id BIGINT PRIMARY KEY, data_version BIGINT NOT NULL, updated_at TIMESTAMP NOT NULL
);

CREATE TABLE sync_state (
    workspace_id BIGINT NOT NULL, connector VARCHAR NOT NULL, state VARCHAR NOT NULL,
    updated_at TIMESTAMP NOT NULL, PRIMARY KEY (workspace_id, connector)
);

-- Currency rates a user uploads: 1 unit of `currency` = `rate` units of `reporting_currency`.
CREATE TABLE fx_rates (
    workspace_id BIGINT NOT NULL, date DATE NOT NULL, currency VARCHAR NOT NULL,
    reporting_currency VARCHAR NOT NULL, rate DECIMAL(18,8) NOT NULL
);

-- Rollups, rebuilt by data.rollups at ingestion so pages never scan raw payments.
-- `day` is the calendar day in the workspace's time zone.
CREATE TABLE payments_daily (
    workspace_id BIGINT NOT NULL, day DATE NOT NULL, channel VARCHAR, product VARCHAR, country VARCHAR,
    payments BIGINT NOT NULL, succeeded BIGINT NOT NULL, refunded_count BIGINT NOT NULL,
    gross DECIMAL(18,2) NOT NULL, refunds DECIMAL(18,2) NOT NULL, fees DECIMAL(18,2) NOT NULL
);

-- One row per customer per day with a successful payment (active customers, cohorts, RFM).
CREATE TABLE customer_daily (
    workspace_id BIGINT NOT NULL, day DATE NOT NULL, customer_key VARCHAR NOT NULL,
    channel VARCHAR, product VARCHAR, country VARCHAR, payments BIGINT NOT NULL, gross DECIMAL(18,2) NOT NULL
);

-- Each customer's first successful payment (new customers, cohorts).
CREATE TABLE customer_first (
    workspace_id BIGINT NOT NULL, customer_key VARCHAR NOT NULL, first_day DATE NOT NULL,
    channel VARCHAR, product VARCHAR, country VARCHAR
);
