using System.Globalization;
using EventCase.Cases.Sla;
using NodaTime.Text;

namespace EventCase.Cases.Catalog;

/// <summary>
/// A service an agency offers in its catalog (an Open311 service with its definition): what a request for it must
/// carry, who owns it, how urgent it is by default and its SLA target. Immutable.
/// </summary>
/// <param name="Code">The service code, unique in the catalog.</param>
/// <param name="Name">The name citizens see ("Pothole").</param>
/// <param name="Description">What the service is for.</param>
/// <param name="Agency">The agency that owns the service.</param>
/// <param name="DefaultPriority">The priority a new case gets unless the request says otherwise.</param>
/// <param name="Sla">The SLA target of a case for this service.</param>
/// <param name="Attributes">The attributes a request carries (Open311 service definition).</param>
/// <param name="Group">The catalog group ("Streets"), if any.</param>
/// <param name="Keywords">Search keywords, if any.</param>
public sealed record ServiceDefinition(
    ServiceCode Code,
    string Name,
    string Description,
    AgencyId Agency,
    CasePriority DefaultPriority,
    SlaTarget Sla,
    IReadOnlyList<ServiceAttribute> Attributes,
    string? Group = null,
    IReadOnlyList<string>? Keywords = null)
{
    private static readonly IPattern<NodaTime.OffsetDateTime> OffsetDateTimeIso = OffsetDateTimePattern.ExtendedIso;

    /// <summary>
    /// Problems with the definition itself (blank name, duplicate attribute codes, lists without values, values on
    /// non-list attributes, duplicate list keys); empty when it is sound.
    /// </summary>
    public IReadOnlyList<string> DefinitionProblems() => [.. FindProblems().Select(p => p.Message).Distinct(StringComparer.Ordinal)];

    /// <summary>
    /// The problems of <see cref="DefinitionProblems"/>, each with the member it is about (<c>name</c>,
    /// <c>attributes[1].code</c>, <c>attributes[0].values</c>, <c>attributes[0].values[2].key</c>; indexes as listed in
    /// the definition). A problem of several members (a code or key given twice) is listed once for each.
    /// </summary>
    public IReadOnlyList<DefinitionProblem> FindProblems()
    {
        var problems = new List<DefinitionProblem>();
        if (string.IsNullOrWhiteSpace(Name))
        {
            problems.Add(new("name", $"service '{Code}' needs a name"));
        }

        var indexed = Attributes.Select((a, i) => (Attribute: a, Field: string.Create(CultureInfo.InvariantCulture, $"attributes[{i}]"))).ToList();
        foreach (var duplicate in indexed.GroupBy(a => a.Attribute.Code, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            foreach (var (_, field) in duplicate)
            {
                problems.Add(new(field + ".code", $"service '{Code}' defines attribute '{duplicate.Key}' {duplicate.Count()} times"));
            }
        }

        foreach (var (attribute, field) in indexed)
        {
            if (string.IsNullOrWhiteSpace(attribute.Code))
            {
                problems.Add(new(field + ".code", $"service '{Code}' has an attribute without a code"));
            }
            else if (attribute.IsList && attribute.Values.Count == 0)
            {
                problems.Add(new(field + ".values", $"attribute '{attribute.Code}' of service '{Code}' is a {attribute.Datatype} but has no values"));
            }
            else if (!attribute.IsList && attribute.Values.Count > 0)
            {
                problems.Add(new(field + ".values", $"attribute '{attribute.Code}' of service '{Code}' is a {attribute.Datatype} and cannot have list values"));
            }

            foreach (var key in attribute.Values.Select((v, j) => (v.Key, j)).GroupBy(v => v.Key, StringComparer.Ordinal).Where(g => g.Count() > 1))
            {
                foreach (var (_, j) in key)
                {
                    problems.Add(new(string.Create(CultureInfo.InvariantCulture, $"{field}.values[{j}].key"),
                        $"attribute '{attribute.Code}' of service '{Code}' lists value '{key.Key}' more than once"));
                }
            }
        }

        return problems;
    }

    /// <summary>
    /// Checks the attribute values of a request against this definition and returns every problem, one per bad
    /// attribute (all are collected, not just the first), in the definition's order and then unknown codes
    /// alphabetically. Empty when the request is acceptable.
    /// </summary>
    /// <param name="values">Attribute code → the values given (one for most datatypes, several for multi-value lists).</param>
    public IReadOnlyList<AttributeError> ValidateAttributes(IReadOnlyDictionary<string, IReadOnlyList<string>> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var errors = new List<AttributeError>();
        foreach (var attribute in Attributes.OrderBy(a => a.Order).ThenBy(a => a.Code, StringComparer.Ordinal))
        {
            var given = values.TryGetValue(attribute.Code, out var list)
                ? list.Where(v => !string.IsNullOrWhiteSpace(v)).ToArray()
                : [];
            var error = Check(attribute, given);
            if (error is not null)
            {
                errors.Add(error);
            }
        }

        var known = Attributes.Select(a => a.Code).ToHashSet(StringComparer.Ordinal);
        foreach (var code in values.Keys.Where(k => !known.Contains(k)).Order(StringComparer.Ordinal))
        {
            errors.Add(new AttributeError(code, AttributeErrorKind.Unknown, $"attribute '{code}': service '{Code}' has no such attribute"));
        }

        return errors;
    }

    private AttributeError? Check(ServiceAttribute attribute, string[] given)
    {
        var code = attribute.Code;
        if (!attribute.Variable)
        {
            return given.Length == 0
                ? null
                : new AttributeError(code, AttributeErrorKind.NotAnInput, $"attribute '{code}': is information only and takes no value");
        }

        if (given.Length == 0)
        {
            return attribute.Required
                ? new AttributeError(code, AttributeErrorKind.Missing, $"attribute '{code}': required by service '{Code}' but missing")
                : null;
        }

        if (attribute.Datatype != AttributeDatatype.MultiValueList && given.Length > 1)
        {
            return new AttributeError(code, AttributeErrorKind.TooManyValues, $"attribute '{code}': takes one value but {given.Length} were given");
        }

        switch (attribute.Datatype)
        {
            case AttributeDatatype.Number when !decimal.TryParse(given[0], NumberStyles.Float, CultureInfo.InvariantCulture, out _):
                return new AttributeError(code, AttributeErrorKind.NotANumber, $"attribute '{code}': '{given[0]}' is not a number");
            case AttributeDatatype.Datetime when !IsIsoDateTime(given[0]):
                return new AttributeError(code, AttributeErrorKind.NotADateTime, $"attribute '{code}': '{given[0]}' is not an ISO-8601 date or date and time");
            case AttributeDatatype.SingleValueList or AttributeDatatype.MultiValueList:
                var keys = attribute.Values.Select(v => v.Key).ToHashSet(StringComparer.Ordinal);
                var bad = given.Where(v => !keys.Contains(v)).ToArray();
                if (bad.Length > 0)
                {
                    return new AttributeError(
                        code,
                        AttributeErrorKind.NotInList,
                        $"attribute '{code}': {string.Join(", ", bad.Select(b => $"'{b}'"))} {(bad.Length == 1 ? "is" : "are")} not one of {string.Join(", ", attribute.Values.Select(v => v.Key))}");
                }

                return null;
            default:
                return null;
        }
    }

    private static bool IsIsoDateTime(string text) =>
        OffsetDateTimeIso.Parse(text).Success
        || InstantPattern.ExtendedIso.Parse(text).Success
        || LocalDateTimePattern.ExtendedIso.Parse(text).Success
        || LocalDatePattern.Iso.Parse(text).Success;
}

/// <summary>One thing wrong with a <see cref="ServiceDefinition"/>.</summary>
/// <param name="Field">The camelCase path of the member it is about, e.g. <c>attributes[2].code</c>.</param>
/// <param name="Message">What is wrong, in plain words.</param>
public sealed record DefinitionProblem(string Field, string Message);
