using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
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
    public static Command Create(IAnsiConsole console, IAnsiConsole progress)
    {
        var audit = new Command("audit", "Verify the tamper-evident hash chain, sign checkpoints, export histories");
        audit.Subcommands.Add(Verify(console, progress));
        audit.Subcommands.Add(Checkpoint(console));
        audit.Subcommands.Add(Export(console));
        audit.Subcommands.Add(VerifyExport(console));
        audit.Subcommands.Add(KeyGen(console));
        return audit;
    }

    private static Command Verify(IAnsiConsole console, IAnsiConsole progress)
    {
        var tenant = new Option<string?>("--tenant") { Description = "Verify one tenant (agency) only" };
        tenant.AcceptOnlyTenantIds();
        var stream = new Option<string?>("--stream") { Description = "Verify one stream (needs --tenant)" };
        stream.AcceptOnlyStreamIds();
        var since = new Option<FileInfo?>("--since-checkpoint") { Description = "Also verify the store against this earlier signed checkpoint (JSON) of the tenant" };
        since.AcceptExistingFilesOnly();
        var key = new Option<FileInfo?>("--public-key") { Description = "The agency's published public key (PEM) the checkpoint must be signed with" };
        key.AcceptExistingFilesOnly();
        var command = new Command("verify", "Recompute every event's hash and check every chain and stream head; exit code 3 when something was altered, 1 when nothing matched")
        {
            tenant, stream, since, key,
        };
        command.AddValidator(r =>
        {
            if (r.GetValue(stream) is not null && r.GetValue(tenant) is null)
            {
                r.AddError("--stream needs --tenant.");
            }

            if (r.GetValue(key) is not null && r.GetValue(since) is null)
            {
                r.AddError("--public-key needs --since-checkpoint (it is the key the checkpoint must be signed with).");
            }
        });
        command.AddExamples(
            "eventcase audit verify",
            "eventcase audit verify --tenant boston --stream 01a2116c-5a36-737c-941f-c3f08f29cb30",
            "eventcase audit verify --tenant boston --since-checkpoint boston-2026-11-23.json --public-key agency.pub.pem");
        command.SetAction(async (result, ct) =>
        {
            var tenantId = result.GetValue(tenant);
            var streamId = result.GetValue(stream);

            // The checkpoint and the key are read and checked before the verification, which can take minutes: a
            // file that is not what it should be is a mistake to report at once, not after the work.
            AuditCheckpoint? checkpoint = null;
            (string Pem, string KeyId)? trustedKey = null;
            if (result.GetValue(since) is { } checkpointFile)
            {
                checkpoint = await ReadCheckpointAsync(checkpointFile, ct);
                if (tenantId is not null && !string.Equals(tenantId, checkpoint.Tenant, StringComparison.Ordinal))
                {
                    throw CliException.BadArgument(
                        $"--since-checkpoint {checkpointFile.FullName} is a checkpoint of tenant '{checkpoint.Tenant}', not of --tenant '{tenantId}'.");
                }

                if (result.GetValue(key) is { } keyFile)
                {
                    trustedKey = await ReadPublicKeyAsync(keyFile, ct);
                }
            }

            await using var session = await CliSession.OpenAsync(GlobalOptions.From(result), SchemaAccess.RequireExisting, ct);
            var scope = streamId is not null ? AuditScope.OfStream(new StreamName(tenantId!, streamId))
                : tenantId is not null ? AuditScope.OfTenant(tenantId)
                : AuditScope.Store;
            var total = await CountEventsAsync(session, tenantId, ct);
            AuditReport report = null!;
            CheckpointVerification? verification = null;
            await progress.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumnLike(), new RemainingTimeColumn())
                .StartAsync(async progress =>
                {
                    var task = progress.AddTask("verifying", maxValue: Math.Max(1, total));
                    var reporter = new Progress<AuditProgress>(p => task.Value = Math.Min(task.MaxValue, p.EventsChecked));
                    if (checkpoint is null)
                    {
                        report = await new AuditVerifier(session.Store).VerifyAsync(scope, reporter, ct);
                    }
                    else
                    {
                        // The checkpoint's verdict needs its tenant's chains checked, and the scope's are the same
                        // events or hold them: one read gives both (it read the tenant twice, once for each).
                        verification = await new AuditCheckpoints(session.Store, SystemClock.Instance).VerifyAsync(checkpoint, scope, trustedKey?.Pem, reporter, ct);
                        report = verification.ScopeChain;
                    }

                    task.Value = task.MaxValue;
                });

            // Nothing checked is not a clean audit: a mistyped tenant or stream would otherwise pass for one. A
            // checkpoint that lists streams still has something to say (that they are gone), so it goes on.
            if (report.StreamsChecked == 0 && checkpoint is not { StreamCount: > 0 })
            {
                throw new CliException(streamId is not null ? $"nothing to verify: tenant '{tenantId}' has no stream '{streamId}'"
                    : tenantId is not null ? $"nothing to verify: tenant '{tenantId}' has no streams"
                    : $"nothing to verify: schema '{session.Store.Options.Schema}' holds no events");
            }

            console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{report.Scope}: {report.EventsChecked:N0} events in {report.StreamsChecked:N0} streams checked in {report.Elapsed.TotalSeconds:F2} s ({report.EventsPerSecond:N0} events/s)"));
            PrintFindings(console, report, alreadyPrinted: new HashSet<AuditFinding>());

            // Every reason for the verdict below is printed above it: a finding, or a line about the checkpoint.
            var reasons = new List<string>();
            if (!report.IsIntact)
            {
                reasons.Add(string.Create(CultureInfo.InvariantCulture, $"{report.BrokenStreams:N0} stream(s) with a broken chain"));
            }

            if (checkpoint is not null && verification is not null)
            {
                // Which key the signature was checked with, by key id: a checkpoint that names the trusted key but whose
                // signature does not verify was altered, not signed by another key.
                var signedBy = trustedKey is not { } pinned ? " (embedded key: proves integrity, not who signed)"
                    : string.Equals(pinned.KeyId, checkpoint.KeyId, StringComparison.Ordinal) ? " (trusted key)"
                    : $" (NOT the trusted key: the checkpoint names key {checkpoint.KeyId})";
                console.WriteLine($"checkpoint of {checkpoint.Tenant} at {InstantPattern.ExtendedIso.Format(checkpoint.CreatedAt)}: signature {(verification.SignatureValid ? "valid" : "INVALID")}{signedBy}, root {(verification.RootMatches ? "matches" : "DOES NOT MATCH")}");
                foreach (var discrepancy in verification.Discrepancies)
                {
                    console.MarkupLineInterpolated($"[red]{discrepancy.Kind}[/] {discrepancy.Stream.Tenant}/{discrepancy.Stream.Id} version {discrepancy.Version}: {discrepancy.Detail}");
                }

                // The checkpoint's tenant may hold broken streams the verification above did not cover (--stream).
                PrintFindings(console, verification.Chain, alreadyPrinted: report.Findings.ToHashSet());
                if (trustedKey is { } trusted && !string.Equals(trusted.KeyId, checkpoint.KeyId, StringComparison.Ordinal))
                {
                    reasons.Add("the checkpoint is not signed with the trusted key");
                }
                else if (!verification.SignatureValid)
                {
                    reasons.Add("the checkpoint's signature does not verify");
                }

                if (!verification.RootMatches)
                {
                    reasons.Add("the checkpoint's heads do not give its signed root");
                }

                if (verification.Discrepancies.Count > 0)
                {
                    reasons.Add($"{verification.Discrepancies.Count} checkpointed stream(s) changed");
                }

                if (!verification.Chain.IsIntact && report.IsIntact)
                {
                    reasons.Add($"{verification.Chain.BrokenStreams} stream(s) of {checkpoint.Tenant} with a broken chain");
                }
            }

            if (reasons.Count == 0)
            {
                console.MarkupLine("[green]intact[/]: nothing was altered");
                return ExitCodes.Success;
            }

            console.MarkupLineInterpolated($"[red]ALTERED[/]: {string.Join("; ", reasons)} (see above)");
            return ExitCodes.TamperingFound;
        });
        return command;
    }

    /// <summary>
    /// <c>audit verify-export FILE</c>: the auditor's side of an export, offline. Whoever holds the file (written by
    /// <c>audit export</c> or fetched from <c>GET /audit/export</c> or <c>/audit/cases/{id}/export</c>) checks it without
    /// the database: every event's hash recomputed, every chain followed.
    /// </summary>
    private static Command VerifyExport(IAnsiConsole console)
    {
        var file = new Argument<FileInfo>("file") { Description = "The export: written by 'audit export', or fetched from GET /audit/export or /audit/cases/{id}/export" };
        file.AcceptExistingFilesOnly();
        var format = new Option<string?>("--format") { Description = "jsonl or csv (default: csv for a file named *.csv, else jsonl)" };
        format.AcceptOnlyFromAmong("jsonl", "csv");
        var command = new Command(
            "verify-export",
            "Check an export's hash chains offline, without the database; exit code 3 when something was altered or the file is cut off or edited past reading")
        {
            file, format,
        };
        command.AddExamples("eventcase audit verify-export boston-march.csv", "eventcase audit verify-export audit-boston.jsonl --format jsonl");
        command.SetAction(async (result, ct) =>
        {
            var source = result.GetValue(file)!;
            var exportFormat = (result.GetValue(format) ?? (source.Extension.Equals(".csv", StringComparison.OrdinalIgnoreCase) ? "csv" : "jsonl")) == "csv"
                ? AuditExportFormat.Csv
                : AuditExportFormat.JsonLines;
            await using var stream = source.OpenRead();
            var read = 0L;
            AuditReport report;
            try
            {
                report = await AuditExportReader.VerifyOfflineAsync(Counted(AuditExportReader.ReadAsync(stream, exportFormat, ct)), source.Name, ct);
            }
            catch (FormatException e) when (read == 0)
            {
                // Not one row read: the wrong file, or the wrong format for it. A mistake, not evidence.
                throw CliException.BadArgument($"{source.FullName} is not an audit export ({(exportFormat == AuditExportFormat.Csv ? "csv" : "jsonl")}): {CommandFailure.OneLine(e.Message)}", e);
            }
            catch (FormatException e)
            {
                // Rows were read and then one could not be: an export the exporter wrote reads to its end, so the file
                // was edited or cut off (a download that broke off). Either way its chains cannot be vouched for.
                console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{source.Name}: {read:N0} events read"));
                console.MarkupLineInterpolated($"[red]ALTERED[/]: the file stops being an export after {read:N0} events (edited or cut off): {CommandFailure.OneLine(e.Message)}");
                return ExitCodes.TamperingFound;
            }

            if (report.EventsChecked == 0)
            {
                // An empty period exports as an empty file (or a header alone): nothing was altered, and nothing vouched for.
                console.WriteLine($"{source.Name}: no events (an empty period); nothing to check");
                return ExitCodes.Success;
            }

            console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{report.Scope}: {report.EventsChecked:N0} events in {report.StreamsChecked:N0} streams checked in {report.Elapsed.TotalSeconds:F2} s ({report.EventsPerSecond:N0} events/s)"));
            PrintFindings(console, report, alreadyPrinted: new HashSet<AuditFinding>());
            if (report.IsIntact)
            {
                // What an export cannot show: the stream rows are not in it, so a deleted tail or a changed head is for
                // 'audit verify' (or GET /audit/cases/{id}/verification) against the store.
                console.MarkupLine("[green]intact[/]: every chain in the file holds (the file holds no stream heads: a deleted last event shows only to 'audit verify' against the store)");
                return ExitCodes.Success;
            }

            console.MarkupLineInterpolated($"[red]ALTERED[/]: {report.BrokenStreams:N0} stream(s) with a broken chain (see above)");
            return ExitCodes.TamperingFound;

            async IAsyncEnumerable<ExportedEvent> Counted(IAsyncEnumerable<ExportedEvent> events)
            {
                await foreach (var exported in events)
                {
                    read++;
                    yield return exported;
                }
            }
        });
        return command;
    }

    private static void PrintFindings(IAnsiConsole console, AuditReport report, IReadOnlySet<AuditFinding> alreadyPrinted)
    {
        foreach (var finding in report.Findings.Where(f => !alreadyPrinted.Contains(f)))
        {
            console.MarkupLineInterpolated($"[red]{finding.Kind}[/] {finding.Stream.Tenant}/{finding.Stream.Id} version {finding.Version}: {finding.Detail}");
        }

        if (report.FindingsTruncated)
        {
            console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"… and {report.BrokenStreams - report.Findings.Count:N0} more broken streams in {report.Scope} (verify them one tenant at a time to list them)"));
        }
    }

    /// <summary>Reads a checkpoint file; one that is not a checkpoint is a bad argument, not a sign of tampering.</summary>
    private static async Task<AuditCheckpoint> ReadCheckpointAsync(FileInfo file, CancellationToken cancellationToken)
    {
        AuditCheckpoint checkpoint;
        try
        {
            await using var stream = file.OpenRead();
            checkpoint = await AuditCheckpoint.ReadJsonAsync(stream, cancellationToken);
        }
        catch (Exception e) when (e is JsonException or FormatException or ArgumentException)
        {
            throw CliException.BadArgument(
                $"--since-checkpoint {file.FullName} is not an audit checkpoint ({AuditCheckpoint.Format}): {CommandFailure.OneLine(e is ArgumentException a ? CommandFailure.WithoutParameterName(a) : e.Message)}", e);
        }

        if (!IdentifierValidation.IsTenantId(checkpoint.Tenant))
        {
            throw CliException.BadArgument($"--since-checkpoint {file.FullName} names tenant '{checkpoint.Tenant}', which is not an agency id.");
        }

        return checkpoint;
    }

    /// <summary>
    /// Reads the trusted public key. A file that holds no key must not reach the verification, which would report the
    /// checkpoint as not signed by it: that is a verdict of tampering, for what is a wrong file.
    /// </summary>
    private static async Task<(string Pem, string KeyId)> ReadPublicKeyAsync(FileInfo file, CancellationToken cancellationToken)
    {
        var pem = await File.ReadAllTextAsync(file.FullName, cancellationToken);
        try
        {
            using var key = CheckpointSigningKey.FromPem(pem);
            return (key.PublicKeyPem, key.KeyId);
        }
        catch (ArgumentException e)
        {
            throw CliException.BadArgument($"--public-key {file.FullName} holds no ECDSA P-256 public key (PEM): {WhyNoKey(pem, e)}", e);
        }
    }

    /// <summary>
    /// Why a key file's text gave no key. Text without a PEM block gets its own reason: the runtime's would tell the
    /// user to pass a file's contents rather than its path, advice for a library caller that is wrong here, where the
    /// user gave a path and the command read the file.
    /// </summary>
    private static string WhyNoKey(string pem, ArgumentException e) =>
        PemEncoding.TryFind(pem, out _)
            ? CommandFailure.OneLine(CommandFailure.WithoutParameterName(e))
            : "the file has no PEM block (-----BEGIN … KEY-----)";

    private static Command Checkpoint(IAnsiConsole console)
    {
        var tenant = new Option<string>("--tenant") { Description = "The tenant (agency) whose stream heads to checkpoint", Required = true };
        tenant.AcceptOnlyTenantIds();
        var key = new Option<FileInfo?>("--key") { Description = "PEM file with the ECDSA P-256 private key (default: $EVENTCASE_AUDIT_KEY_FILE)" };
        key.AcceptExistingFilesOnly();
        var output = new Option<FileInfo?>("--out") { Description = "Write the checkpoint JSON here (default: standard output)" };
        output.AcceptWritableFilePathsOnly();
        var command = new Command("checkpoint", "Sign a checkpoint of every stream head of a tenant (a Merkle root), to publish for auditors") { tenant, key, output };
        command.AddExamples("eventcase audit checkpoint --tenant boston --key agency.pem --out boston-2026-11-23.json");
        command.SetAction(async (result, ct) =>
        {
            var keyOption = result.GetValue(key);
            var keyPath = keyOption?.FullName ?? Environment.GetEnvironmentVariable("EVENTCASE_AUDIT_KEY_FILE")
                ?? throw CliException.BadArgument("no signing key: pass --key FILE or set EVENTCASE_AUDIT_KEY_FILE (make one with `eventcase audit keygen`)");
            var keySource = keyOption is null ? $"EVENTCASE_AUDIT_KEY_FILE ({keyPath})" : $"--key {keyPath}";
            if (PathValidation.ProblemReading(new FileInfo(keyPath)) is { } problem)
            {
                throw CliException.BadArgument($"signing key: {problem}");
            }

            CheckpointSigningKey signingKey;
            var pem = await File.ReadAllTextAsync(keyPath, ct);
            try
            {
                signingKey = CheckpointSigningKey.FromPem(pem);
            }
            catch (ArgumentException e)
            {
                throw CliException.BadArgument($"{keySource} holds no ECDSA P-256 private key (PEM): {WhyNoKey(pem, e)}", e);
            }

            using (signingKey)
            {
                if (!signingKey.HasPrivateKey)
                {
                    throw CliException.BadArgument($"{keySource} is a public key; a checkpoint is signed with the private key");
                }

                var tenantId = result.GetValue(tenant)!;
                await using var session = await CliSession.OpenAsync(GlobalOptions.From(result), SchemaAccess.RequireExisting, ct);
                AuditCheckpoint checkpoint;
                try
                {
                    checkpoint = await new AuditCheckpoints(session.Store, SystemClock.Instance).CreateAsync(tenantId, signingKey, ct);
                }
                catch (AuditChainBrokenException e)
                {
                    // Refusing to sign is a finding like verify's: the same exit code, so that a scheduled checkpoint
                    // job alerts on tampering as a verify job would, not as on a database that was unreachable.
                    throw new CliException(CommandFailure.OneLine(e.Message), ExitCodes.TamperingFound, e);
                }

                if (checkpoint.StreamCount == 0)
                {
                    // A signed statement about nothing, most likely of a mistyped tenant: nothing to publish.
                    throw new CliException($"nothing to checkpoint: tenant '{tenantId}' has no streams");
                }

                if (result.GetValue(output) is { } file)
                {
                    await using (var destination = OutputFile.Create(file))
                    {
                        await checkpoint.WriteJsonAsync(destination.Stream, ct);
                        await destination.CommitAsync(ct);
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
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Export(IAnsiConsole console)
    {
        var tenant = new Option<string>("--tenant") { Description = "The tenant (agency)", Required = true };
        tenant.AcceptOnlyTenantIds();
        var stream = new Option<string?>("--stream") { Description = "Export one case's (stream's) full history" };
        stream.AcceptOnlyStreamIds();
        var from = new Option<string?>("--from") { Description = "Start of the period (ISO-8601 instant, Z or an offset, inclusive); with --to, exports all cases of the tenant recorded in it" };
        var to = new Option<string?>("--to") { Description = "End of the period (ISO-8601 instant, Z or an offset, exclusive; after --from)" };
        var format = new Option<string>("--format") { Description = "jsonl or csv", DefaultValueFactory = _ => "jsonl" };
        format.AcceptOnlyFromAmong("jsonl", "csv");
        var output = new Option<FileInfo?>("--out") { Description = "Write here, replacing the file once the export is complete (default: standard output)" };
        output.AcceptWritableFilePathsOnly();
        var command = new Command("export", "Export histories with each event's hash, streaming (constant memory), for offline checks")
        {
            tenant, stream, from, to, format, output,
        };
        command.AddValidator(r =>
        {
            var hasStream = r.GetValue(stream) is not null;
            var fromText = r.GetValue(from);
            var toText = r.GetValue(to);
            if (hasStream == (fromText is not null || toText is not null))
            {
                r.AddError("give either --stream, or --from and --to.");
                return;
            }

            if (!hasStream && (fromText is null || toText is null))
            {
                r.AddError("--from and --to go together: a period has a start and an end.");
                return;
            }

            var instants = new List<Instant>();
            foreach (var (option, text) in new[] { (from, fromText), (to, toText) })
            {
                if (text is null)
                {
                    continue;
                }

                if (InstantText.TryParse(text, out var parsed))
                {
                    instants.Add(parsed);
                }
                else
                {
                    r.AddError($"{option.Name} '{text}' is not {InstantText.Expected}.");
                }
            }

            if (instants.Count == 2 && instants[1] <= instants[0])
            {
                r.AddError($"--to {toText} is not after --from {fromText}: the period [--from, --to) would be empty.");
            }
        });
        command.AddExamples(
            "eventcase audit export --tenant boston --from 2026-03-01T00:00:00-05:00 --to 2026-04-01T00:00:00-04:00 --format csv --out boston-march.csv",
            "eventcase audit export --tenant boston --stream 01a2116c-5a36-737c-941f-c3f08f29cb30 --out case.jsonl");
        command.SetAction(async (result, ct) =>
        {
            var tenantId = result.GetValue(tenant)!;
            var streamId = result.GetValue(stream);
            await using var session = await CliSession.OpenAsync(GlobalOptions.From(result), SchemaAccess.RequireExisting, ct);
            var exporter = new AuditExporter(session.Store);
            var exportFormat = result.GetValue(format) == "csv" ? AuditExportFormat.Csv : AuditExportFormat.JsonLines;
            var file = result.GetValue(output);

            // The file is opened only now that the arguments and the database are known to be good, and replaces the
            // one there only when the export is complete.
            await using var outputFile = file is null ? null : OutputFile.Create(file);
            await using var destination = outputFile?.Stream ?? Console.OpenStandardOutput();
            var summary = streamId is not null
                ? await exporter.ExportStreamAsync(new StreamName(tenantId, streamId), exportFormat, destination, ct)
                : await exporter.ExportTenantAsync(
                    tenantId,
                    InstantText.Parse(result.GetValue(from)!),
                    InstantText.Parse(result.GetValue(to)!),
                    exportFormat,
                    destination,
                    ct);

            // An empty export of a stream or tenant that does not exist is a typo, not an answer; an empty period of
            // a tenant that exists is one.
            if (summary.Events == 0)
            {
                if (streamId is not null)
                {
                    throw new CliException($"nothing to export: tenant '{tenantId}' has no stream '{streamId}'");
                }

                if (!await session.TenantHasStreamsAsync(tenantId, ct))
                {
                    throw new CliException($"nothing to export: tenant '{tenantId}' has no streams");
                }
            }

            if (outputFile is not null)
            {
                await outputFile.CommitAsync(ct);
                console.WriteLine($"{summary.Events:N0} events of {summary.Streams:N0} streams written to {outputFile.Target.FullName}");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command KeyGen(IAnsiConsole console)
    {
        var output = new Option<FileInfo>("--out") { Description = "Write the private key (PEM, readable by its owner only) here; the public key is printed", Required = true };
        output.AcceptWritableFilePathsOnly();
        var force = new Option<bool>("--force") { Description = "Replace an existing file (a signing key in use cannot be recovered once replaced)" };
        var command = new Command("keygen", "Make an ECDSA P-256 key pair for signing checkpoints") { output, force };
        command.AddValidator(r =>
        {
            if (r.GetValue(output) is { Exists: true } file && !r.GetValue(force))
            {
                r.AddError($"--out: {file.FullName} exists; it may be the signing key in use, which cannot be recovered once replaced. Pass --force to replace it.");
            }
        });
        command.AddExamples("eventcase audit keygen --out agency.pem");
        command.SetAction(async (result, ct) =>
        {
            using var key = CheckpointSigningKey.Generate();
            var file = result.GetValue(output)!;

            // Created readable by its owner only, not written and then restricted: a private key must never be
            // readable by others, not even for a moment. Without --force an existing file is never replaced, even one
            // that appeared since the arguments were checked.
            await using (var destination = OutputFile.Create(file, overwrite: result.GetValue(force), unixCreateMode: UnixFileMode.UserRead | UnixFileMode.UserWrite))
            {
                await using (var writer = new StreamWriter(destination.Stream, leaveOpen: true))
                {
                    await writer.WriteAsync(key.ExportPrivateKeyPem().AsMemory(), ct);
                }

                await destination.CommitAsync(ct);
            }

            console.WriteLine($"private key written to {file.FullName} (keep it secret); key id {key.KeyId}; public key to publish:");
            console.WriteLine(key.PublicKeyPem);
            return ExitCodes.Success;
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
