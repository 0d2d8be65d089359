-- Each projection's mode (inline | async), written by the processes that register it. A process that does not
-- register a projection (a service beside an embedding host with projections of its own, the CLI) reads it here:
-- without it, an inline projection looked like an async one that never moved, lagging further with every append.
ALTER TABLE __schema__.projections ADD COLUMN mode text;
