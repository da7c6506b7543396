-- Refunds per customer and day, by customer number: with customer_daily's gross, the per-customer
-- revenue an insight decomposes a revenue change into (data.analytics.revenue_by_customer) comes
-- from two small integer-keyed rollups instead of every payment row of two periods (at 10M
-- payments that read ~190 MB of customer id strings per insights run). Kept by data.rollups
-- with customer_daily. Days are the workspace's local days, which the warehouse does not know:
-- the table starts empty and is filled by each refresh; readers check it against
-- payments_daily's refunds and read payment rows where it does not cover a range yet.
CREATE TABLE customer_refunds_daily (
    workspace_id BIGINT NOT NULL, day DATE NOT NULL, customer_no INTEGER NOT NULL,
    refunds DECIMAL(18,2) NOT NULL
);
