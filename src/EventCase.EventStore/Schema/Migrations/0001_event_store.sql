-- The event store: streams, the global log, and the append function.
-- __schema__ and __channel__ are replaced by the migrator with validated identifiers.

CREATE TABLE __schema__.streams (
    tenant_id    text        NOT NULL,
    stream_id    text        NOT NULL,
    stream_type  text        NOT NULL,
    version      bigint      NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    archived     boolean     NOT NULL DEFAULT false,
    head_hash    bytea,
    PRIMARY KEY (tenant_id, stream_id)
);

CREATE TABLE __schema__.events (
    position       bigint      GENERATED ALWAYS AS IDENTITY,
    tenant_id      text        NOT NULL,
    stream_id      text        NOT NULL,
    stream_version bigint      NOT NULL,
    event_id       uuid        NOT NULL,
    event_type     text        NOT NULL,
    data           jsonb       NOT NULL,
    metadata       jsonb       NOT NULL,
    recorded_at    timestamptz NOT NULL,
    -- The writing transaction. Readers of the global log only take events of transactions older than every
    -- transaction still running, in (transaction_id, position) order: that is the no-skip guarantee.
    transaction_id xid8        NOT NULL DEFAULT pg_current_xact_id(),
    hash           bytea,
    -- The key is the global log's read order. Positions alone are unique too (an identity), but no reader needs them
    -- alone, and one index fewer is measurably faster appends.
    CONSTRAINT events_pkey PRIMARY KEY (transaction_id, position),
    CONSTRAINT events_stream_version_key UNIQUE (tenant_id, stream_id, stream_version),
    CONSTRAINT events_event_id_key UNIQUE (event_id)
);

-- Filtering the log by type: a rare type among millions of events is an index range, not a scan.
CREATE INDEX events_type_log_order_idx ON __schema__.events (event_type, transaction_id, position);

-- One advisory lock key per stream. Collisions only serialise two unrelated streams' appends; they never
-- break correctness.
CREATE FUNCTION __schema__.stream_lock_key(p_tenant_id text, p_stream_id text) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT hashtextextended(p_tenant_id || chr(31) || p_stream_id, 7919) $$;

-- Appends events to one stream in one round trip.
-- Outcomes: 0 appended, 1 already appended (an idempotent retry: nothing written, original positions returned),
-- 2 wrong expected version (nothing written, no position drawn), 3 event ids already used elsewhere.
-- Expected version: -1 any, -2 the stream must exist, 0 the stream must not exist, n > 0 exactly n.
CREATE FUNCTION __schema__.append_events(
    p_tenant_id        text,
    p_stream_id        text,
    p_stream_type      text,
    p_expected_version bigint,
    p_event_ids        uuid[],
    p_event_types      text[],
    p_data             jsonb[],
    p_metadata         jsonb[])
RETURNS TABLE (outcome smallint, stream_version bigint, positions bigint[], transaction_id xid8, recorded_at timestamptz)
LANGUAGE plpgsql
AS $$
DECLARE
    v_count        integer := cardinality(p_event_ids);
    v_current      bigint;
    v_exists       boolean;
    v_now          timestamptz;
    v_positions    bigint[];
    v_found        integer;
    v_same_stream  boolean;
    v_last_version bigint;
    v_head_xid     xid8;
BEGIN
    -- Lock the stream before the first write, so this transaction draws its id only once it holds the stream:
    -- then transaction-id order agrees with version order within every stream.
    PERFORM pg_advisory_xact_lock(__schema__.stream_lock_key(p_tenant_id, p_stream_id));

    -- An idempotent retry: the first id already stored means this append (or a clash) happened before.
    IF EXISTS (SELECT 1 FROM __schema__.events e WHERE e.event_id = p_event_ids[1]) THEN
        SELECT count(*)::integer,
               bool_and(e.tenant_id = p_tenant_id AND e.stream_id = p_stream_id),
               array_agg(e.position ORDER BY e.stream_version),
               max(e.stream_version)
          INTO v_found, v_same_stream, v_positions, v_last_version
          FROM __schema__.events e
         WHERE e.event_id = ANY (p_event_ids);
        IF v_found = v_count AND v_same_stream THEN
            RETURN QUERY SELECT 1::smallint, v_last_version, v_positions, NULL::xid8, NULL::timestamptz;
        ELSE
            RETURN QUERY SELECT 3::smallint, v_found::bigint, NULL::bigint[], NULL::xid8, NULL::timestamptz;
        END IF;
        RETURN;
    END IF;

    SELECT s.version INTO v_current
      FROM __schema__.streams s
     WHERE s.tenant_id = p_tenant_id AND s.stream_id = p_stream_id;
    v_exists := FOUND;
    IF NOT v_exists THEN
        v_current := 0;
    END IF;

    -- The version check comes before any insert, so a rejected append draws no position.
    IF (p_expected_version = -2 AND NOT v_exists)
       OR (p_expected_version >= 0 AND p_expected_version <> v_current) THEN
        RETURN QUERY SELECT 2::smallint, v_current, NULL::bigint[], NULL::xid8, NULL::timestamptz;
        RETURN;
    END IF;

    -- A transaction that wrote before this append already has an id, drawn before it held this stream. If a
    -- younger transaction appended to the stream meanwhile, our events would sort before theirs in the global
    -- log while following them in the stream: refuse, the caller retries.
    IF v_exists AND pg_current_xact_id_if_assigned() IS NOT NULL THEN
        SELECT e.transaction_id INTO v_head_xid
          FROM __schema__.events e
         WHERE e.tenant_id = p_tenant_id AND e.stream_id = p_stream_id AND e.stream_version = v_current;
        IF v_head_xid > pg_current_xact_id() THEN
            RAISE EXCEPTION 'stream % of tenant % was appended to by a younger transaction; retry the transaction',
                p_stream_id, p_tenant_id USING ERRCODE = '40001';
        END IF;
    END IF;

    v_now := clock_timestamp();

    WITH inserted AS (
        INSERT INTO __schema__.events
               (tenant_id, stream_id, stream_version, event_id, event_type, data, metadata, recorded_at)
        SELECT p_tenant_id, p_stream_id, v_current + i.ord, i.event_id, i.event_type, i.data, i.metadata, v_now
          FROM unnest(p_event_ids, p_event_types, p_data, p_metadata)
               WITH ORDINALITY AS i(event_id, event_type, data, metadata, ord)
         ORDER BY i.ord
        RETURNING __schema__.events.position, __schema__.events.stream_version
    )
    SELECT array_agg(inserted.position ORDER BY inserted.stream_version) INTO v_positions FROM inserted;

    IF v_exists THEN
        UPDATE __schema__.streams s
           SET version = v_current + v_count, updated_at = v_now
         WHERE s.tenant_id = p_tenant_id AND s.stream_id = p_stream_id;
    ELSE
        INSERT INTO __schema__.streams (tenant_id, stream_id, stream_type, version, created_at, updated_at)
        VALUES (p_tenant_id, p_stream_id, p_stream_type, v_count, v_now, v_now);
    END IF;

    -- Delivered at commit; identical notifications of one transaction collapse into one.
    PERFORM pg_notify('__channel__', '');

    RETURN QUERY SELECT 0::smallint, v_current + v_count, v_positions, pg_current_xact_id(), v_now;
END
$$;
