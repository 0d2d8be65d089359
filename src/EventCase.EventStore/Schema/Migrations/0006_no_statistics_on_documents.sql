-- No query filters on the JSON documents of the log or of snapshots (they are read by stream, position, type and time),
-- yet sampling them was about two thirds of the time ANALYZE spends on the events table: the statement every rebuild
-- starts with, and that autovacuum repeats as the log grows. Statistics stay on every column a query filters on.
ALTER TABLE __schema__.events ALTER COLUMN data SET STATISTICS 0;
ALTER TABLE __schema__.events ALTER COLUMN metadata SET STATISTICS 0;
ALTER TABLE __schema__.snapshots ALTER COLUMN state SET STATISTICS 0;
