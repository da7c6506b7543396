-- customer_daily has a row per channel/product/country a customer paid through on a day. A
-- day's distinct customers were a grouped COUNT(DISTINCT) over every row (~0.5 s for a year at
-- 10M payments); marking one row per customer and day makes it a filtered count (~10 ms).
-- Existing rows are marked here (the row with the least channel/product/country, as
-- data.rollups marks the rows it writes); plain SQL that runs on DuckDB and PostgreSQL.
ALTER TABLE customer_daily ADD COLUMN first_of_day BOOLEAN DEFAULT false;
UPDATE customer_daily SET first_of_day = true
FROM (
    SELECT workspace_id AS ws, day AS d, customer_no AS c,
           min(coalesce(channel, chr(2)) || chr(1) || coalesce(product, chr(2)) || chr(1) || coalesce(country, chr(2))) AS k
    FROM customer_daily GROUP BY workspace_id, day, customer_no
) firsts
WHERE customer_daily.workspace_id = firsts.ws AND customer_daily.day = firsts.d
  AND customer_daily.customer_no = firsts.c
  AND coalesce(channel, chr(2)) || chr(1) || coalesce(product, chr(2)) || chr(1) || coalesce(country, chr(2)) = firsts.k;
