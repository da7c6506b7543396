-- Ad spend and conversion value keep the vendor's decimals (Meta: up to 8; Google Ads: micros),
-- so an imported file totals exactly what the vendor totals; only the display rounds to cents.
ALTER TABLE ad_daily ALTER COLUMN spend TYPE DECIMAL(20,8);
ALTER TABLE ad_daily ALTER COLUMN spend_reporting TYPE DECIMAL(20,8);
ALTER TABLE ad_daily ALTER COLUMN conversion_value TYPE DECIMAL(20,8);
ALTER TABLE ad_daily ALTER COLUMN conversion_value_reporting TYPE DECIMAL(20,8);
