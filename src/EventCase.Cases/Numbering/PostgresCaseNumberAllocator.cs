using EventCase.Cases.Schema;
using EventCase.EventStore;
using EventCase.EventStore.Schema;
using Npgsql;

namespace EventCase.Cases.Numbering;

/// <summary>
/// Draws case numbers from a counter row per (agency, year) in PostgreSQL (see <see cref="CasesSchema"/>).
/// <c>INSERT … ON CONFLICT DO UPDATE … RETURNING</c>, in its own (asynchronously committed) transaction: atomic under any
/// number of concurrent callers and nodes, and never part of the append's transaction (an append must be its
/// transaction's first write, and a counter row held for a whole append would serialize every open of the agency).
/// Draws are combined (<see cref="WriteCombiner{TWrite, TResult}"/>): the draws that arrive while one is in flight are
/// served by the next statement, which moves each counter once by as many numbers as were asked of it, and hands them
/// out in the order the draws arrived. A lone draw goes at once. Thread safe.
/// </summary>
public sealed class PostgresCaseNumberAllocator : ICaseNumberAllocator
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _sql;
    private readonly WriteCombiner<CaseNumberSeries, CaseNumber> _draws;

    /// <summary>Creates an allocator over the counters in <paramref name="schema"/> (migrate it with <see cref="CasesSchema.MigrateAsync"/>).</summary>
    public PostgresCaseNumberAllocator(NpgsqlDataSource dataSource, string schema = CasesSchema.DefaultSchema)
    {
        _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));
        SchemaMigrator.ValidateIdentifier(schema, nameof(schema));
        // One row per series in the statement, in a fixed order (so two nodes' statements lock counters alike): a new
        // counter starts at the count drawn, an existing one moves by it; the numbers drawn end at the value returned.
        _sql = $"""
                INSERT INTO {schema}.case_number_sequences AS s (agency_id, year, last_sequence)
                SELECT * FROM unnest($1::text[], $2::int[], $3::int[])
                ON CONFLICT (agency_id, year) DO UPDATE SET last_sequence = s.last_sequence + excluded.last_sequence, updated_at = now()
                RETURNING agency_id, year, last_sequence
                """;
        _draws = new WriteCombiner<CaseNumberSeries, CaseNumber>(
            async (series, cancellationToken) => (await DrawAsync([series], cancellationToken))[0](),
            series => DrawAsync(series, CancellationToken.None),
            static (_, _) => false,
            static _ => 1,
            maxWeight: int.MaxValue,
            maxBatch: 1_000);
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The series is exhausted (999 999 999 numbers in one year).</exception>
    public Task<CaseNumber> AllocateAsync(CaseNumberSeries series, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(series);
        return _draws.WriteAsync(series, cancellationToken);
    }

    /// <summary>Draws one number for each of <paramref name="draws"/>, in one statement; per draw, its number.</summary>
    private async Task<IReadOnlyList<Func<CaseNumber>>> DrawAsync(IReadOnlyList<CaseNumberSeries> draws, CancellationToken cancellationToken)
    {
        var counts = draws
            .GroupBy(d => (Agency: d.Agency.Value, d.Year))
            .Select(g => (g.Key.Agency, g.Key.Year, Count: g.Count()))
            .OrderBy(c => c.Agency, StringComparer.Ordinal).ThenBy(c => c.Year)
            .ToArray();

        // The counter's transaction commits without waiting for its WAL flush, so the row lock every open of the
        // agency queues on is held for microseconds, not for a disk flush (which serialized opens to one per flush).
        // Safe: a number reaches a case only through that case's append, whose own commit flushes the WAL up to and
        // past this update; a crash can only forget numbers that no committed case carries.
        await using var batch = _dataSource.CreateBatch();
        batch.BatchCommands.Add(AsynchronousCommit.BatchCommand());
        var command = new NpgsqlBatchCommand(_sql);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = counts.Select(c => c.Agency).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = counts.Select(c => c.Year).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = counts.Select(c => c.Count).ToArray() });
        batch.BatchCommands.Add(command);
        var next = new Dictionary<(string Agency, int Year), int>();
        try
        {
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            await reader.NextResultAsync(cancellationToken);
            var asked = counts.ToDictionary(c => (c.Agency, c.Year), c => c.Count);
            while (await reader.ReadAsync(cancellationToken))
            {
                var key = (reader.GetString(0), reader.GetInt32(1));
                next[key] = reader.GetInt32(2) - asked[key] + 1;
            }
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.CheckViolation)
        {
            // Exhausted (or would be, by this batch): alone, each draw learns whether a number was left for it.
            var series = draws[0];
            throw new InvalidOperationException(
                $"The case number series of agency '{series.Agency}' for {series.Year} is exhausted.", e);
        }

        // In the order the draws arrived.
        var numbers = new Func<CaseNumber>[draws.Count];
        for (var i = 0; i < draws.Count; i++)
        {
            var key = (draws[i].Agency.Value, draws[i].Year);
            var number = draws[i].Number(next[key]++);
            numbers[i] = () => number;
        }

        return numbers;
    }
}
