-- Customers get a dense integer number per workspace, and the customer rollups carry that number
-- instead of the vendor's id string. Counting distinct customers, grouping by customer and joining
-- customer_daily to customer_first hash integers rather than strings: about twice as fast at
-- millions of rows (issue 4's page targets). Numbers are assigned once and never reused, so a
-- rollup rebuild gives every customer the same number again.
CREATE TABLE customer_keys (
    workspace_id BIGINT NOT NULL, customer_key VARCHAR NOT NULL, customer_no INTEGER NOT NULL
);

INSERT INTO customer_keys
SELECT workspace_id, customer_key,
       CAST(row_number() OVER (PARTITION BY workspace_id ORDER BY customer_key) AS INTEGER)
FROM (SELECT workspace_id, customer_key FROM customer_daily
      UNION SELECT workspace_id, customer_key FROM customer_first);

CREATE TABLE customer_daily_numbered (
    workspace_id BIGINT NOT NULL, day DATE NOT NULL, customer_no INTEGER NOT NULL,
    channel VARCHAR, product VARCHAR, country VARCHAR, payments BIGINT NOT NULL, gross DECIMAL(18,2) NOT NULL
);

INSERT INTO customer_daily_numbered
SELECT d.workspace_id, d.day, k.customer_no, d.channel, d.product, d.country, d.payments, d.gross
FROM customer_daily d JOIN customer_keys k USING (workspace_id, customer_key)
ORDER BY d.workspace_id, d.day;

DROP TABLE customer_daily;

ALTER TABLE customer_daily_numbered RENAME TO customer_daily;

CREATE TABLE customer_first_numbered (
    workspace_id BIGINT NOT NULL, customer_no INTEGER NOT NULL, first_day DATE NOT NULL,
    channel VARCHAR, product VARCHAR, country VARCHAR
);

INSERT INTO customer_first_numbered
SELECT f.workspace_id, k.customer_no, f.first_day, f.channel, f.product, f.country
FROM customer_first f JOIN customer_keys k USING (workspace_id, customer_key)
ORDER BY f.workspace_id, f.first_day;

DROP TABLE customer_first;

ALTER TABLE customer_first_numbered RENAME TO customer_first;
