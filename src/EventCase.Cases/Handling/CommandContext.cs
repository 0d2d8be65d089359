namespace EventCase.Cases.Handling;

/// <summary>
/// Who sends a case command, for which agency, and in which conversation: the envelope every API and CLI command
/// travels in. Its values become the metadata of every event the command appends. Immutable.
/// </summary>
public sealed record CommandContext
{
    /// <summary>Creates a context.</summary>
    /// <param name="agency">The agency (tenant) the caller acts for. A command can only touch that agency's cases.</param>
    /// <param name="actorId">Who acts: an agent id, a citizen reference, <c>system:importer</c>.</param>
    /// <param name="actorRole">The role they act in: citizen, agent, supervisor, auditor, admin, system.</param>
    /// <param name="correlationId">Ties together everything one request or job caused.</param>
    /// <param name="channel">Where the command came from: web, phone, email, sms, in-person, api, cli, import.</param>
    /// <param name="reason">Why, in the actor's words, if given.</param>
    /// <exception cref="ArgumentException">A required value is blank.</exception>
    public CommandContext(AgencyId agency, string actorId, string actorRole, string correlationId, string channel, string? reason = null)
    {
        ArgumentNullException.ThrowIfNull(agency);
        ArgumentException.ThrowIfNullOrWhiteSpace(actorId);
        ArgumentException.ThrowIfNullOrWhiteSpace(actorRole);
        ArgumentException.ThrowIfNullOrWhiteSpace(correlationId);
        ArgumentException.ThrowIfNullOrWhiteSpace(channel);
        Agency = agency;
        ActorId = actorId;
        ActorRole = actorRole;
        CorrelationId = correlationId;
        Channel = channel;
        Reason = string.IsNullOrWhiteSpace(reason) ? null : reason;
    }

    /// <summary>The agency (tenant) the caller acts for.</summary>
    public AgencyId Agency { get; }

    /// <summary>Who acts.</summary>
    public string ActorId { get; }

    /// <summary>The role they act in.</summary>
    public string ActorRole { get; }

    /// <summary>Ties together everything one request or job caused.</summary>
    public string CorrelationId { get; }

    /// <summary>Where the command came from.</summary>
    public string Channel { get; }

    /// <summary>Why, if given.</summary>
    public string? Reason { get; }

    /// <summary>
    /// The message that caused this command (for example the event a policy reacted to). Null for a command that
    /// starts a conversation: its events then carry the correlation id as their causation id.
    /// </summary>
    public string? CausationId { get; init; }

    /// <summary>
    /// The client's idempotency key (HTTP <c>Idempotency-Key</c>), or null. With a key, the ids of the appended events
    /// are derived from tenant, case and key, so sending the same command again is recognised and answered with
    /// <see cref="CaseCommandResult.AlreadyApplied"/> instead of appending twice. A key is the caller's: the same key
    /// from another actor, for another command or (with <see cref="RequestFingerprint"/>) with other content is
    /// answered with <see cref="CaseCommandResult.IdempotencyKeyReused"/>, and the earlier answer is not given away.
    /// At most 200 characters.
    /// </summary>
    public string? IdempotencyKey
    {
        get;
        init
        {
            if (value is not null && (string.IsNullOrWhiteSpace(value) || value.Length > 200))
            {
                throw new ArgumentException("An idempotency key is 1–200 non-blank characters.", nameof(IdempotencyKey));
            }

            field = value;
        }
    }

    /// <summary>
    /// What the request carrying <see cref="IdempotencyKey"/> asked for, as the caller's API sees it (for HTTP: a hash of
    /// the route and the body), or null. It is stored with the events; a later command with the same key and another
    /// fingerprint is another request reusing the key, and is answered with
    /// <see cref="CaseCommandResult.IdempotencyKeyReused"/> instead of the earlier answer. At most 100 characters.
    /// </summary>
    public string? RequestFingerprint
    {
        get;
        init
        {
            if (value is not null && (string.IsNullOrWhiteSpace(value) || value.Length > 100))
            {
                throw new ArgumentException("A request fingerprint is 1–100 non-blank characters.", nameof(RequestFingerprint));
            }

            field = value;
        }
    }

    /// <summary>
    /// The version the caller last saw (HTTP <c>If-Match</c>), or null. When given, the command is decided only if
    /// the case is still at this version; otherwise the answer is <see cref="CaseCommandResult.PreconditionFailed"/>
    /// and nothing is retried (0 means the case must not exist yet).
    /// </summary>
    public long? ExpectedVersion
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value ?? 0, nameof(ExpectedVersion));
            field = value;
        }
    }
}
