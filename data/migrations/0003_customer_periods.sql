-- Each customer's weeks and months with a successful payment (and the gross in them). Distinct
-- customers per week or month are then a count of rows, not a COUNT(DISTINCT) over every
-- customer-day (active customers by week/month, cohort retention): issue 4's page targets.
-- Weeks start on Monday, as everywhere else. Kept by data.rollups with customer_daily.
CREATE TABLE customer_weekly (
    workspace_id BIGINT NOT NULL, week DATE NOT NULL, customer_no INTEGER NOT NULL,
    gross DECIMAL(18,2) NOT NULL
);

CREATE TABLE customer_monthly (
    workspace_id BIGINT NOT NULL, month DATE NOT NULL, customer_no INTEGER NOT NULL,
    gross DECIMAL(18,2) NOT NULL
);

INSERT INTO customer_weekly
SELECT workspace_id, CAST(date_trunc('week', day) AS DATE) AS week, customer_no, sum(gross)
FROM customer_daily GROUP BY ALL ORDER BY workspace_id, week;

INSERT INTO customer_monthly
SELECT workspace_id, CAST(date_trunc('month', day) AS DATE) AS month, customer_no, sum(gross)
FROM customer_daily GROUP BY ALL ORDER BY workspace_id, month;
