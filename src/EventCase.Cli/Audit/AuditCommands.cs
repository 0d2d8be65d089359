using System.CommandLine;
using System.Globalization;
using EventCase.Cli.Hosting;
using EventCase.EventStore;
using EventCase.EventStore.Auditing;
using NodaTime;
using NodaTime.Text;
using Spectre.Console;

namespace EventCase.Cli.Audit;

/// <summary><c>eventcase audit verify|checkpoint|export|keygen</c>: the auditor's toolkit.</summary>
internal static class AuditCommands
{
    /// <summary>Exit code when verification finds tampering (distinct from errors, 1, and bad arguments, 2).</summary>
    public const int TamperingFound = 3;

    public static Command Create(IAnsiConsole console)
    {
        var audit = new Command("audit", "Verify the tamper-evident hash chain, sign checkpoints, export histories");
        audit.Subcommands.Add(Verify(console));
        audit.Subcommands.Add(Checkpoint(console));
        audit.Subcommands.Add(Export(console));
        audit.Subcommands.Add(KeyGen(console));
        return audit;
    }

    private static Command Verify(IAnsiConsole console)
    {
        var tenant = new Option<string?>("--tenant") { Description = "Verify one tenant (agency) only" };
        var stream = new Option<string?>("--stream") { Description = "Verify one stream (needs --tenant)" };
        var since = new Option<FileInfo?>("--since-checkpoint") { Description = "Also verify the store against this earlier signed checkpoint (JSON)" };
        var key = new Option<FileInfo?>("--public-key") { Description = "The agency's published public key (PEM) the checkpoint must be signed with" };
        var command = new Command("verify", "Recompute every event's hash and check every chain and stream head; exit code 3 when something was altered")
        {
            tenant, stream, since, key,
        };
        command.AddValidator(r =>
        {
            if (r.GetValue(stream) is not null && r.GetValue(tenant) is null)
            {
                r.AddError("--stream needs --tenant.");
            }

            if (r.GetValue(since) is { Exists: false } file)
            {
                r.AddError($"--since-checkpoint: {file.FullName} does not exist.");
            }

            if (r.GetValue(key) is { Exists: false } keyFile)
            {
                r.AddError($"--public-key: {keyFile.FullName} does not exist.");
            }
        });
        command.SetAction(async (result, ct) =>
        {
            await using var session = await CliSession.OpenAsync(GlobalOptions.From(result), SchemaAccess.RequireExisting, ct);
            var verifier = new AuditVerifier(session.Store);
            var tenantId = result.GetValue(tenant);
            var streamId = result.GetValue(stream);
            var total = await CountEventsAsync(session, tenantId, ct);
            AuditReport report = null!;
            await console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumnLike(), new RemainingTimeColumn())
                .StartAsync(async progress =>
                {
                    var task = progress.AddTask("verifying", maxValue: Math.Max(1, total));
                    var reporter = new Progress<AuditProgress>(p => task.Value = Math.Min(task.MaxValue, p.EventsChecked));
                    report = streamId is not null ? await verifier.VerifyStreamAsync(new StreamName(tenantId!, streamId), reporter, ct)
                        : tenantId is not null ? await verifier.VerifyTenantAsync(tenantId, reporter, ct)
                        : await verifier.VerifyAllAsync(reporter, ct);
                    task.Value = task.MaxValue;
                });
            console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{report.Scope}: {report.EventsChecked:N0} events in {report.StreamsChecked:N0} streams checked in {report.Elapsed.TotalSeconds:F2} s ({report.EventsPerSecond:N0} events/s)"));
            foreach (var finding in report.Findings)
            {
                console.MarkupLineInterpolated($"[red]{finding.Kind}[/] {finding.Stream.Tenant}/{finding.Stream.Id} version {finding.Version}: {finding.Detail}");
            }

            var intact = report.IsIntact;
            if (result.GetValue(since) is { } checkpointFile)
            {
                await using var file = checkpointFile.OpenRead();
                var checkpoint = await AuditCheckpoint.ReadJsonAsync(file, ct);
                var trusted = result.GetValue(key) is { } keyFile ? await File.ReadAllTextAsync(keyFile.FullName, ct) : null;
                var verification = await new AuditCheckpoints(session.Store, SystemClock.Instance).VerifyAsync(checkpoint, trusted, ct);
                console.WriteLine($"checkpoint of {checkpoint.Tenant} at {InstantPattern.ExtendedIso.Format(checkpoint.CreatedAt)}: signature {(verification.SignatureValid ? "valid" : "INVALID")}{(trusted is null ? " (embedded key)" : verification.SignedByTrustedKey ? " (trusted key)" : " (NOT the trusted key)")}, root {(verification.RootMatches ? "matches" : "DOES NOT MATCH")}");
                foreach (var discrepancy in verification.Discrepancies)
                {
                    console.MarkupLineInterpolated($"[red]{discrepancy.Kind}[/] {discrepancy}");
                }

                intact &= verification.IsValid && (trusted is null || verification.SignedByTrustedKey);
            }

            console.MarkupLine(intact ? "[green]intact[/]: nothing was altered" : "[red]ALTERED[/]: see the findings above");
            return intact ? 0 : TamperingFound;
        });
        return command;
    }

    private static Command Checkpoint(IAnsiConsole console)
    {
        var tenant = new Option<string>("--tenant") { Description = "The tenant (agency) whose stream heads to checkpoint", Required = true };
        var key = new Option<FileInfo?>("--key") { Description = "PEM file with the ECDSA P-256 private key (default: $EVENTCASE_AUDIT_KEY_FILE)" };
        var output = new Option<FileInfo?>("--out") { Description = "Write the checkpoint JSON here (default: standard output)" };
        var command = new Command("checkpoint", "Sign a checkpoint of every stream head of a tenant (a Merkle root), to publish for auditors") { tenant, key, output };
        command.SetAction(async (result, ct) =>
        {
            var keyPath = result.GetValue(key)?.FullName ?? Environment.GetEnvironmentVariable("EVENTCASE_AUDIT_KEY_FILE")
                ?? throw new CliException("no signing key: pass --key FILE or set EVENTCASE_AUDIT_KEY_FILE (make one with `eventcase audit keygen`)");
            if (!File.Exists(keyPath))
            {
                throw new CliException($"signing key {keyPath} does not exist");
            }

            using var signingKey = CheckpointSigningKey.FromPem(await File.ReadAllTextAsync(keyPath, ct));
            await using var session = await CliSession.OpenAsync(GlobalOptions.From(result), SchemaAccess.RequireExisting, ct);
            var checkpoint = await new AuditCheckpoints(session.Store, SystemClock.Instance).CreateAsync(result.GetValue(tenant)!, signingKey, ct);
            if (result.GetValue(output) is { } file)
            {
                await using (var stream = file.Create())
                {
                    await checkpoint.WriteJsonAsync(stream, ct);
                }

                console.WriteLine($"checkpoint of {checkpoint.Tenant}: {checkpoint.StreamCount:N0} streams, {checkpoint.EventCount:N0} events, written to {file.FullName}");
            }
            else
            {
                using var buffer = new MemoryStream();
                await checkpoint.WriteJsonAsync(buffer, ct);
                console.Profile.Out.Writer.Write(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
                console.Profile.Out.Writer.WriteLine();
            }

            return 0;
        });
        return command;
    }

    private static Command Export(IAnsiConsole console)
    {
        var tenant = new Option<string>("--tenant") { Description = "The tenant (agency)", Required = true };
        var stream = new Option<string?>("--stream") { Description = "Export one case's (stream's) full history" };
        var from = new Option<string?>("--from") { Description = "Start of the period (ISO-8601 instant, inclusive); with --to, exports all cases of the tenant recorded in it" };
        var to = new Option<string?>("--to") { Description = "End of the period (ISO-8601 instant, exclusive)" };
        var format = new Option<string>("--format") { Description = "jsonl or csv", DefaultValueFactory = _ => "jsonl" };
        format.AcceptOnlyFromAmong("jsonl", "csv");
        var output = new Option<FileInfo?>("--out") { Description = "Write here (default: standard output)" };
        var command = new Command("export", "Export histories with each event's hash, streaming (constant memory), for offline checks")
        {
            tenant, stream, from, to, format, output,
        };
        command.AddValidator(r =>
        {
            var hasStream = r.GetValue(stream) is not null;
            var hasPeriod = r.GetValue(from) is not null || r.GetValue(to) is not null;
            if (hasStream == hasPeriod)
            {
                r.AddError("give either --stream, or --from and --to.");
            }

            foreach (var option in new[] { from, to })
            {
                if (r.GetValue(option) is { } text && !InstantPattern.ExtendedIso.Parse(text).Success)
                {
                    r.AddError($"{option.Name} '{text}' is not an ISO-8601 instant such as 2026-03-01T00:00:00Z.");
                }
            }
        });
        command.SetAction(async (result, ct) =>
        {
            await using var session = await CliSession.OpenAsync(GlobalOptions.From(result), SchemaAccess.RequireExisting, ct);
            var exporter = new AuditExporter(session.Store);
            var exportFormat = result.GetValue(format) == "csv" ? AuditExportFormat.Csv : AuditExportFormat.JsonLines;
            var file = result.GetValue(output);
            await using var destination = file is null ? Console.OpenStandardOutput() : file.Create();
            var summary = result.GetValue(stream) is { } streamId
                ? await exporter.ExportStreamAsync(new StreamName(result.GetValue(tenant)!, streamId), exportFormat, destination, ct)
                : await exporter.ExportTenantAsync(
                    result.GetValue(tenant)!,
                    result.GetValue(from) is { } f ? InstantPattern.ExtendedIso.Parse(f).Value : Instant.MinValue,
                    result.GetValue(to) is { } t ? InstantPattern.ExtendedIso.Parse(t).Value : Instant.MaxValue,
                    exportFormat,
                    destination,
                    ct);
            if (file is not null)
            {
                console.WriteLine($"{summary.Events:N0} events of {summary.Streams:N0} streams written to {file.FullName}");
            }

            return 0;
        });
        return command;
    }

    private static Command KeyGen(IAnsiConsole console)
    {
        var output = new Option<FileInfo>("--out") { Description = "Write the private key (PEM) here; the public key is printed", Required = true };
        var command = new Command("keygen", "Make an ECDSA P-256 key pair for signing checkpoints") { output };
        command.SetAction(async (result, ct) =>
        {
            using var key = CheckpointSigningKey.Generate();
            var file = result.GetValue(output)!;
            await File.WriteAllTextAsync(file.FullName, key.ExportPrivateKeyPem(), ct);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(file.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            console.WriteLine($"private key written to {file.FullName} (keep it secret); key id {key.KeyId}; public key to publish:");
            console.WriteLine(key.PublicKeyPem);
            return 0;
        });
        return command;
    }

    private static async Task<long> CountEventsAsync(CliSession session, string? tenant, CancellationToken cancellationToken)
    {
        await using var command = tenant is null
            ? session.DataSource.CreateCommand($"SELECT greatest(reltuples::bigint, 1) FROM pg_class WHERE oid = '{session.Store.Options.Schema}.events'::regclass")
            : session.DataSource.CreateCommand($"SELECT count(*) FROM {session.Store.Options.Schema}.events WHERE tenant_id = $1");
        if (tenant is not null)
        {
            command.Parameters.AddWithValue(tenant);
        }

        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    /// <summary>Shows the rate in events per second.</summary>
    private sealed class TransferSpeedColumnLike : ProgressColumn
    {
        public override Spectre.Console.Rendering.IRenderable Render(Spectre.Console.Rendering.RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Text(task.Speed is { } speed ? string.Create(CultureInfo.InvariantCulture, $"{speed:N0} events/s") : "–");
    }
}
