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
            connection = new NpgsqlConnectionStringBuilder(embedded.ConnectionString) { Database = "eventcase" }.ConnectionString;
            await EnsureDatabaseAsync(embedded.ConnectionString, cancellationToken);
        }

        var session = new CliSession(NpgsqlDataSource.Create(connection), options.Schema, embedded);
        await session.Store.MigrateAsync(cancellationToken);
        return session;
    }

    private static async Task EnsureDatabaseAsync(string adminConnection, CancellationToken cancellationToken)
    {
        await using var admin = NpgsqlDataSource.Create(adminConnection);
        await using var exists = admin.CreateCommand("SELECT 1 FROM pg_database WHERE datname = 'eventcase'");
        if (await exists.ExecuteScalarAsync(cancellationToken) is null)
        {
            await using var create = admin.CreateCommand("CREATE DATABASE eventcase");
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
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
