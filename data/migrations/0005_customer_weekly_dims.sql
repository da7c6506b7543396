-- customer_monthly_dim's weekly twin: each customer's Monday-weeks with a successful payment, per
-- value of channel, product and country. Active customers by week with one page filter count its
-- rows for that value instead of every customer-day of the range (a year by week filtered by
-- channel at 10M payments: ~65 ms of a KPI row's work). Kept by data.rollups with customer_daily.
CREATE TABLE customer_weekly_dim (
    workspace_id BIGINT NOT NULL, dim VARCHAR NOT NULL, value VARCHAR NOT NULL, week DATE NOT NULL,
    customer_no INTEGER NOT NULL
);

INSERT INTO customer_weekly_dim
SELECT workspace_id, dim, value, week, customer_no FROM (
    SELECT workspace_id, 'channel' AS dim, coalesce(CAST(channel AS VARCHAR), '(none)') AS value,
           CAST(date_trunc('week', day) AS DATE) AS week, customer_no
    FROM customer_daily GROUP BY ALL
    UNION ALL
    SELECT workspace_id, 'product', coalesce(CAST(product AS VARCHAR), '(none)'),
           CAST(date_trunc('week', day) AS DATE), customer_no
    FROM customer_daily GROUP BY ALL
    UNION ALL
    SELECT workspace_id, 'country', coalesce(CAST(country AS VARCHAR), '(none)'),
           CAST(date_trunc('week', day) AS DATE), customer_no
    FROM customer_daily GROUP BY ALL
)
ORDER BY workspace_id, dim, value, week;
