-- append_events without its in-transaction NOTIFY (same signature, result and semantics as 0003 otherwise).
-- PostgreSQL serialises the commits of every transaction that sent a notification on one lock held through its WAL
-- flush, so concurrent appenders could not share a flush (group commit): eight writers committed one at a time. The
-- store now sends a coalesced notification after its appends commit (PostgresEventStore.NotifyAppended), in a tiny
-- transaction of its own that writes no WAL; daemons still poll as a fallback.
CREATE OR REPLACE FUNCTION __schema__.append_events(
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
    v_head         bytea;
    v_exists       boolean;
    v_now          timestamptz;
    v_positions    bigint[];
    v_hashes       bytea[];
    v_found        integer;
    v_same_stream  boolean;
    v_last_version bigint;
    v_head_xid     xid8;
BEGIN
    -- Lock the stream before the first write, so this transaction draws its id only once it holds the stream:
    -- then transaction-id order agrees with version order within every stream. The lock also makes the head hash
    -- read below the one this append extends.
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

    SELECT s.version, s.head_hash INTO v_current, v_head
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

    -- The chain, link by link: each hash covers the one before, so this is a loop, not a set operation. A new
    -- stream starts from 32 zero bytes.
    v_head := coalesce(v_head, decode(repeat('00', 32), 'hex'));
    v_hashes := array_fill(NULL::bytea, ARRAY[v_count]);
    FOR i IN 1 .. v_count LOOP
        v_head := __schema__.event_hash(
            v_head, p_tenant_id, p_stream_id, v_current + i, p_event_ids[i], p_event_types[i], v_now, p_data[i], p_metadata[i]);
        v_hashes[i] := v_head;
    END LOOP;

    WITH inserted AS (
        INSERT INTO __schema__.events
               (tenant_id, stream_id, stream_version, event_id, event_type, data, metadata, recorded_at, hash)
        SELECT p_tenant_id, p_stream_id, v_current + i.ord, i.event_id, i.event_type, i.data, i.metadata, v_now, i.hash
          FROM unnest(p_event_ids, p_event_types, p_data, p_metadata, v_hashes)
               WITH ORDINALITY AS i(event_id, event_type, data, metadata, hash, ord)
         ORDER BY i.ord
        RETURNING __schema__.events.position, __schema__.events.stream_version
    )
    SELECT array_agg(inserted.position ORDER BY inserted.stream_version) INTO v_positions FROM inserted;

    IF v_exists THEN
        UPDATE __schema__.streams s
           SET version = v_current + v_count, updated_at = v_now, head_hash = v_head
         WHERE s.tenant_id = p_tenant_id AND s.stream_id = p_stream_id;
    ELSE
        INSERT INTO __schema__.streams (tenant_id, stream_id, stream_type, version, created_at, updated_at, head_hash)
        VALUES (p_tenant_id, p_stream_id, p_stream_type, v_count, v_now, v_now, v_head);
    END IF;

    RETURN QUERY SELECT 0::smallint, v_current + v_count, v_positions, pg_current_xact_id(), v_now;
END
$$;
