using EventCase.Cases.Handling;
using EventCase.Cases.Numbering;
using EventCase.EventStore;
using EventCase.EventStore.Embedded;
using Npgsql;

namespace EventCase.Cli.Hosting;

/// <summary>
/// The database a command works on: the <c>--connection</c> string (or <c>EVENTCASE_CONNECTION</c>) when given,
/// otherwise the embedded PostgreSQL in the data directory, attached to when it runs and started for the command
/// (and stopped afterwards) when it does not.
/// </summary>
internal sealed class CliSession : IAsyncDisposable
{
    private readonly EmbeddedPostgres? _embedded;

    private CliSession(NpgsqlDataSource dataSource, string schema, EmbeddedPostgres? embedded)
    {
        DataSource = dataSource;
        _embedded = embedded;
        Store = new PostgresEventStore(dataSource, CaseEvents.CreateSerializer(), new EventStoreOptions { Schema = schema }, [new CaseNumberLookupProjection()]);
    }

    public NpgsqlDataSource DataSource { get; }

    public PostgresEventStore Store { get; }

    public static async Task<CliSession> OpenAsync(GlobalOptions options, CancellationToken cancellationToken)
    {
        var connection = options.Connection ?? Environment.GetEnvironmentVariable("EVENTCASE_CONNECTION");
        EmbeddedPostgres? embedded = null;
        if (string.IsNullOrWhiteSpace(connection))
        {
            embedded = new EmbeddedPostgres(EmbeddedPostgresOptions.Persistent(options.DataDirectory ?? DataDirectories.DefaultPostgresDirectory()));
            await embedded.StartAsync(cancellationToken);
            // The same database the server uses on the embedded cluster.
            connection = embedded.ConnectionString;
        }

        var session = new CliSession(NpgsqlDataSource.Create(connection), options.Schema, embedded);
        await session.Store.MigrateAsync(cancellationToken);
        return session;
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        if (_embedded is not null)
        {
            await _embedded.DisposeAsync();
        }
    }
}
