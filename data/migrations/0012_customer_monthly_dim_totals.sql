-- customer_monthly per channel and per country (the value of customer_daily's rows, '(none)' when
-- missing), with the totals RFM and top customers sum: the days with a payment of that value,
-- payments, gross and the last such day. With one page filter, those read whole months here instead of every customer-day of the range with a string
-- filter and a grouping by day (RFM over a year filtered by channel at 10M payments: ~900k
-- customer-days -> ~280k customer-months). Ordered by dimension and value, so a filter reads only
-- its own row groups. Kept by data.rollups with customer_daily (the same statement, per dimension).
-- Not per product: a customer's products vary from payment to payment, so customer-months by
-- product are nearly as many as customer-days (1.2x fewer at 10M payments, against ~3x fewer by
-- channel or country) and would double the build time for little; a product filter reads days.
--
-- A customer's days of a month are the set bits of a mask of the days of the month (one grouping,
-- not a grouping by day first: half the build time), counted with shifts and masks (a 32-bit
-- population count in three steps, which DuckDB and PostgreSQL both run).
CREATE TABLE customer_monthly_dim_totals (
    workspace_id BIGINT NOT NULL, dim VARCHAR NOT NULL, value VARCHAR NOT NULL, month DATE NOT NULL,
    customer_no INTEGER NOT NULL, days INTEGER NOT NULL, payments BIGINT NOT NULL,
    gross DECIMAL(18,2) NOT NULL, last_day DATE NOT NULL
);

INSERT INTO customer_monthly_dim_totals
SELECT workspace_id, dim, value, month, customer_no,
       CAST(((((bits4 + (bits4 >> 4)) & 252645135) * 16843009) >> 24) & 255 AS INTEGER) AS days,
       payments, gross, last_day
FROM (
    SELECT *, (bits2 & 858993459) + ((bits2 >> 2) & 858993459) AS bits4
    FROM (
        SELECT *, day_mask - ((day_mask >> 1) & 1431655765) AS bits2
        FROM (
            SELECT workspace_id, 'channel' AS dim, coalesce(CAST(channel AS VARCHAR), '(none)') AS value,
                   CAST(date_trunc('month', day) AS DATE) AS month, customer_no,
                   CAST(bit_or(CAST(1 AS INTEGER) << (CAST(extract('day' FROM day) AS INTEGER) - 1)) AS BIGINT) AS day_mask,
                   sum(payments) AS payments, sum(gross) AS gross, max(day) AS last_day
            FROM customer_daily GROUP BY ALL
            UNION ALL
            SELECT workspace_id, 'country', coalesce(CAST(country AS VARCHAR), '(none)'),
                   CAST(date_trunc('month', day) AS DATE), customer_no,
                   CAST(bit_or(CAST(1 AS INTEGER) << (CAST(extract('day' FROM day) AS INTEGER) - 1)) AS BIGINT),
                   sum(payments), sum(gross), max(day)
            FROM customer_daily GROUP BY ALL
        ) masks
    ) step2
) step4
ORDER BY workspace_id, dim, value, month;
