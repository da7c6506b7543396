-- customer_weekly_dim kept a row per customer, dimension value and week (~2.5M rows per 1M
-- payments, ~2 s of an import's CPU), yet its one reader, active customers by week with one page
-- filter, only counts a whole week's rows. It becomes that count: distinct customers per
-- dimension value and Monday-week (a few hundred rows a year). Kept by data.rollups with
-- customer_daily.
CREATE TABLE customer_weekly_dim_counts (
    workspace_id BIGINT NOT NULL, dim VARCHAR NOT NULL, value VARCHAR NOT NULL, week DATE NOT NULL,
    customers BIGINT NOT NULL
);

INSERT INTO customer_weekly_dim_counts
SELECT workspace_id, dim, value, week, count(*)
FROM customer_weekly_dim GROUP BY workspace_id, dim, value, week;

DROP TABLE customer_weekly_dim;

-- customer_monthly_dim's channel and country rows are the keys of customer_monthly_dim_totals
-- (migration 0012; the same grouping of customer_daily), which readers now use for those two
-- dimensions: the table keeps the others (product).
DELETE FROM customer_monthly_dim WHERE dim IN ('channel', 'country');
