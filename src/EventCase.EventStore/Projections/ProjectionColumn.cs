using NodaTime;
using Npgsql;
using NpgsqlTypes;

namespace EventCase.EventStore.Projections;

/// <summary>
/// A typed column of a projection table, derived from the row: what the projection lets people query and index.
/// Create them with the factory methods (<see cref="Text"/>, <see cref="Int"/>, <see cref="Instant"/>…).
/// </summary>
/// <typeparam name="TRow">The projection's row type.</typeparam>
public abstract class ProjectionColumn<TRow>
{
    private protected ProjectionColumn(string name, string sqlType)
    {
        Schema.SchemaMigrator.ValidateIdentifier(name, "column name");
        Name = name;
        SqlType = sqlType;
    }

    /// <summary>The column name (a lower-case identifier).</summary>
    public string Name { get; }

    /// <summary>The PostgreSQL type, e.g. <c>text</c>, <c>timestamptz</c>.</summary>
    public string SqlType { get; }

    internal abstract void Write(NpgsqlBinaryImporter importer, TRow row);

    internal abstract NpgsqlParameter ArrayParameter(IReadOnlyList<TRow> rows);

    /// <summary>A text column.</summary>
    public static ProjectionColumn<TRow> Text(string name, Func<TRow, string?> value) => new Typed<string?>(name, "text", value, NpgsqlDbType.Text, v => v);

    /// <summary>An integer column.</summary>
    public static ProjectionColumn<TRow> Int(string name, Func<TRow, int?> value) => new Typed<int?>(name, "integer", value, NpgsqlDbType.Integer, v => v);

    /// <summary>A bigint column.</summary>
    public static ProjectionColumn<TRow> Long(string name, Func<TRow, long?> value) => new Typed<long?>(name, "bigint", value, NpgsqlDbType.Bigint, v => v);

    /// <summary>A double precision column.</summary>
    public static ProjectionColumn<TRow> Double(string name, Func<TRow, double?> value) => new Typed<double?>(name, "double precision", value, NpgsqlDbType.Double, v => v);

    /// <summary>A boolean column.</summary>
    public static ProjectionColumn<TRow> Bool(string name, Func<TRow, bool?> value) => new Typed<bool?>(name, "boolean", value, NpgsqlDbType.Boolean, v => v);

    /// <summary>A timestamptz column holding an instant.</summary>
    public static ProjectionColumn<TRow> Instant(string name, Func<TRow, Instant?> value) =>
        new Typed<DateTime?>(name, "timestamptz", row => value(row)?.ToDateTimeUtc(), NpgsqlDbType.TimestampTz, v => v);

    /// <summary>A date column holding a local date.</summary>
    public static ProjectionColumn<TRow> Date(string name, Func<TRow, LocalDate?> value) =>
        new Typed<DateOnly?>(name, "date", row => value(row)?.ToDateOnly(), NpgsqlDbType.Date, v => v);

    private sealed class Typed<TValue>(string name, string sqlType, Func<TRow, TValue> value, NpgsqlDbType dbType, Func<TValue, TValue> normalize)
        : ProjectionColumn<TRow>(name, sqlType)
    {
        internal override void Write(NpgsqlBinaryImporter importer, TRow row)
        {
            var v = normalize(value(row));
            if (v is null)
            {
                importer.WriteNull();
            }
            else
            {
                importer.Write(v, dbType);
            }
        }

        internal override NpgsqlParameter ArrayParameter(IReadOnlyList<TRow> rows)
        {
            var values = new TValue[rows.Count];
            for (var i = 0; i < rows.Count; i++)
            {
                values[i] = normalize(value(rows[i]));
            }

            return new NpgsqlParameter<TValue[]> { TypedValue = values, NpgsqlDbType = NpgsqlDbType.Array | dbType };
        }
    }
}
