-- Each customer's weeks with a successful payment, and months with the days with one, payments,
-- gross and the last such day. Distinct customers per week or month are then a count of rows, not a
-- COUNT(DISTINCT) over every customer-day (active customers by week/month, cohort retention), and
-- per-customer totals over a year read a month per row (RFM, top customers): issue 4's targets.
-- Weeks start on Monday, as everywhere else. Kept by data.rollups with customer_daily.
CREATE TABLE customer_weekly (
    workspace_id BIGINT NOT NULL, week DATE NOT NULL, customer_no INTEGER NOT NULL
);

CREATE TABLE customer_monthly (
    workspace_id BIGINT NOT NULL, month DATE NOT NULL, customer_no INTEGER NOT NULL,
    days INTEGER NOT NULL, payments BIGINT NOT NULL, gross DECIMAL(18,2) NOT NULL, last_day DATE NOT NULL
);

INSERT INTO customer_weekly
SELECT workspace_id, CAST(date_trunc('week', day) AS DATE) AS week, customer_no
FROM customer_daily GROUP BY ALL;

INSERT INTO customer_monthly
SELECT workspace_id, CAST(date_trunc('month', day) AS DATE) AS month, customer_no,
       count(*), sum(payments), sum(gross), max(day)
FROM customer_daily GROUP BY ALL ORDER BY workspace_id, month;
