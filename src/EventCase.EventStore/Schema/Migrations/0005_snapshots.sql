-- Snapshots: a stream's folded state at a version, so that loading it reads one row and the events after it instead of
-- its whole history. A snapshot is a cache, never the truth: the events are. Its kind names the fold and the shape of
-- the state (a writer changes the kind when either changes, and old snapshots are then simply not read); one snapshot
-- per stream and kind, only ever replaced by a later one.
CREATE TABLE __schema__.snapshots (
    tenant_id text        NOT NULL,
    stream_id text        NOT NULL,
    kind      text        NOT NULL,
    version   bigint      NOT NULL CHECK (version > 0),
    state     jsonb       NOT NULL,
    taken_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, stream_id, kind)
);
