using EventCase.EventStore.Schema;

namespace EventCase.EventStore;

/// <summary>Settings of a <see cref="PostgresEventStore"/>.</summary>
public sealed class EventStoreOptions
{
    /// <summary>The PostgreSQL schema holding the store's tables (a lower-case identifier). Default <c>eventcase</c>.</summary>
    public string Schema { get; set; } = "eventcase";

    /// <summary>
    /// The largest accepted event, in UTF-8 bytes of serialized data plus metadata. Larger events are rejected with
    /// <see cref="EventTooLargeException"/> before anything is sent. Default 256 KiB: a case event is a few hundred
    /// bytes; attachments belong in a document store, referenced from the event.
    /// </summary>
    public int MaxEventSizeBytes { get; set; } = 256 * 1024;

    /// <summary>The most events accepted in one append. Default 10,000.</summary>
    public int MaxEventsPerAppend { get; set; } = 10_000;

    /// <summary>
    /// Whether appends and stream reads use server-side prepared statements (prepared once per pooled connection).
    /// Default true: it spares PostgreSQL a parse and plan on every call. Turn it off only behind a pooler that cannot
    /// keep prepared statements (PgBouncer in transaction mode before 1.21).
    /// </summary>
    public bool PrepareStatements { get; set; } = true;

    /// <summary>
    /// Whether appends of concurrent callers (<see cref="PostgresEventStore.AppendToStreamAsync(StreamName, string, ExpectedVersion, IReadOnlyList{NewEvent}, CancellationToken)"/>)
    /// that arrive while another append is being written are written together, in one transaction (group commit).
    /// Each keeps its own outcome: one at a wrong expected version is refused, the others are written. An append that
    /// finds no other being written is written at once, alone. Default true: under concurrency it saves round trips,
    /// transactions and statements; turn it off to give every append a transaction of its own.
    /// </summary>
    public bool CombineConcurrentAppends { get; set; } = true;

    /// <summary>
    /// Tables that something beside the store creates in <see cref="Schema"/>, such as another migration series sharing
    /// the schema (the case domain's <c>CasesSchema.TableNames</c>): no projection may name a table so, which would
    /// otherwise break that migration after the store's had made the projection's table. The store's own tables and
    /// indexes are reserved without being listed here. Default none.
    /// </summary>
    public IReadOnlyCollection<string> ReservedTableNames { get; set; } = [];

    /// <summary>The NOTIFY channel appends signal on: the schema name followed by <c>_appended</c>.</summary>
    public string NotificationChannel => Schema + "_appended";

    internal void Validate()
    {
        SchemaMigrator.ValidateIdentifier(Schema, nameof(Schema));
        if (Schema.Length > 50)
        {
            throw new ArgumentException("Schema must be at most 50 characters (the notification channel adds a suffix).", nameof(Schema));
        }

        if (MaxEventSizeBytes < 1024)
        {
            throw new ArgumentException("MaxEventSizeBytes must be at least 1024.", nameof(MaxEventSizeBytes));
        }

        if (MaxEventsPerAppend < 1)
        {
            throw new ArgumentException("MaxEventsPerAppend must be at least 1.", nameof(MaxEventsPerAppend));
        }

        if (ReservedTableNames is null || ReservedTableNames.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException("ReservedTableNames must be a list of table names, none of them null or blank.", nameof(ReservedTableNames));
        }
    }
}
