-- Projection checkpoints, ownership and status. One row per projection; the daemon that owns a projection (through
-- a session advisory lock) is the only writer of its row and of its tables.

CREATE TABLE __schema__.projections (
    name                 text        NOT NULL PRIMARY KEY,
    version              integer     NOT NULL,
    -- The live tables reflect every event up to and including this (transaction id, position).
    checkpoint_xid       xid8        NOT NULL DEFAULT '0',
    checkpoint_position  bigint      NOT NULL DEFAULT 0,
    -- running | rebuilding | failed
    state                text        NOT NULL DEFAULT 'running',
    built                boolean     NOT NULL DEFAULT false,
    owner                text,
    owner_heartbeat_at   timestamptz,
    failed_position      bigint,
    failed_event_id      uuid,
    failed_event_type    text,
    error                text,
    rebuild_requested_at timestamptz,
    rebuild_started_at   timestamptz,
    rebuild_position     bigint,
    rebuild_events       bigint,
    rebuild_events_per_second double precision,
    rebuild_target_position   bigint,
    updated_at           timestamptz NOT NULL DEFAULT now()
);
