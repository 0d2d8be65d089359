using EventCase.Cases.Schema;
using EventCase.EventStore;
using EventCase.EventStore.Schema;
using Npgsql;

namespace EventCase.Cases.Numbering;

/// <summary>
/// Draws case numbers from a counter row per (agency, year) in PostgreSQL (see <see cref="CasesSchema"/>). One
/// statement, <c>INSERT … ON CONFLICT DO UPDATE … RETURNING</c>, in its own (asynchronously committed) transaction: atomic under any number of
/// concurrent callers and nodes, and never part of the append's transaction (an append must be its transaction's
/// first write, and a counter row held for a whole append would serialize every open of the agency). Thread safe.
/// </summary>
public sealed class PostgresCaseNumberAllocator : ICaseNumberAllocator
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _sql;

    /// <summary>Creates an allocator over the counters in <paramref name="schema"/> (migrate it with <see cref="CasesSchema.MigrateAsync"/>).</summary>
    public PostgresCaseNumberAllocator(NpgsqlDataSource dataSource, string schema = CasesSchema.DefaultSchema)
    {
        _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));
        SchemaMigrator.ValidateIdentifier(schema, nameof(schema));
        _sql = $"""
                INSERT INTO {schema}.case_number_sequences AS s (agency_id, year, last_sequence) VALUES ($1, $2, 1)
                ON CONFLICT (agency_id, year) DO UPDATE SET last_sequence = s.last_sequence + 1, updated_at = now()
                RETURNING last_sequence
                """;
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The series is exhausted (999 999 999 numbers in one year).</exception>
    public async Task<CaseNumber> AllocateAsync(CaseNumberSeries series, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(series);
        // The counter's transaction commits without waiting for its WAL flush, so the row lock every open of the
        // agency queues on is held for microseconds, not for a disk flush (which serialized opens to one per flush).
        // Safe: a number reaches a case only through that case's append, whose own commit flushes the WAL up to and
        // past this update; a crash can only forget numbers that no committed case carries.
        await using var batch = _dataSource.CreateBatch();
        batch.BatchCommands.Add(AsynchronousCommit.BatchCommand());
        var command = new NpgsqlBatchCommand(_sql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = series.Agency.Value });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = series.Year });
        batch.BatchCommands.Add(command);
        try
        {
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            await reader.NextResultAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            var sequence = reader.GetInt32(0);
            return series.Number(sequence);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.CheckViolation)
        {
            throw new InvalidOperationException(
                $"The case number series of agency '{series.Agency}' for {series.Year} is exhausted.", e);
        }
    }
}
