-- Run once by the postgres container of docker-compose.yml on an empty volume:
-- the app DB is the container's POSTGRES_DB; the warehouse gets a database of its own.
CREATE DATABASE pulseboard_warehouse OWNER pulseboard;
