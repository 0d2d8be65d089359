using System.Reflection;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.Primitives;

namespace EventCase.Server.Http;

/// <summary>
/// Marks a query parameter as a comma-separated list: <c>?status=open,assigned</c>. It may also be given more than
/// once (<c>?status=open&amp;status=assigned</c>), which means the same list; every other query parameter may be given
/// once only (see <see cref="RequestValues"/>).
/// </summary>
[AttributeUsage(AttributeTargets.Parameter)]
internal sealed class CommaSeparatedListAttribute : Attribute;

/// <summary>
/// The query parameters a route's handler reads, found from its parameters by the rules minimal APIs bind them with:
/// those given once at most (<see cref="Single"/>) and the lists (<see cref="Lists"/>). Endpoint metadata, added by
/// <see cref="RequestValues.CheckRequestValues{TBuilder}"/>.
/// </summary>
/// <param name="Single">Parameters that take one value: a repeat is refused.</param>
/// <param name="Lists">Parameters marked <see cref="CommaSeparatedListAttribute"/> or bound to an array.</param>
internal sealed record QueryParameters(IReadOnlyList<string> Single, IReadOnlyList<string> Lists);

/// <summary>
/// Endpoint metadata: how the routes it is attached to answer a problem <see cref="RequestValues"/> finds before their
/// handler runs. Without it the problem itself is the answer; Open311 answers in GeoReport's error format instead.
/// </summary>
/// <param name="Answer">The answer for the request, given the 400 problem.</param>
internal sealed record ProblemFormat(Func<HttpContext, ProblemHttpResult, IResult> Answer);

/// <summary>
/// The values a request carries in its URL, checked once for every route before its handler runs: each route value must
/// be one line of text the service accepts (<see cref="Validation.AcceptedLine"/>), and each query parameter the handler reads
/// that takes one value must be given once at most. Anything else is a 400 naming each such route value and parameter.
/// </summary>
/// <remarks>
/// Why here: minimal APIs bind a repeated parameter to a <c>string</c> as its values joined with commas, so
/// <c>?assignee=a&amp;assignee=b</c> would be read as the assignee "a,b" — silently another query than either. A route
/// value holding a control character is no id of anything: naming it says what is wrong, where a 404 would say only
/// that nothing has that id. Kestrel itself refuses a path with an encoded NUL (<c>%00</c>) with a bare 400 before any
/// route is chosen, so on Kestrel that one never gets here; servers that pass it on get this answer.
/// </remarks>
internal static class RequestValues
{
    /// <summary>The message for a repeated single-valued parameter.</summary>
    public const string GivenMoreThanOnce = "is given more than once; give it once.";

    /// <summary>Checks the route values and query parameters of every route handler mapped under <paramref name="builder"/>.</summary>
    public static TBuilder CheckRequestValues<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.Add(endpoint =>
        {
            if (endpoint is not RouteEndpointBuilder route || endpoint.Metadata.OfType<MethodInfo>().FirstOrDefault() is not { } handler)
            {
                return;
            }

            var query = Describe(handler, route.RoutePattern);
            endpoint.Metadata.Add(query);
            endpoint.FilterFactories.Add((_, next) => invocation => CheckAsync(invocation, query, next));
        });
        return builder;
    }

    private static ValueTask<object?> CheckAsync(EndpointFilterInvocationContext invocation, QueryParameters query, EndpointFilterDelegate next)
    {
        var http = invocation.HttpContext;
        var v = new Validation();
        foreach (var (name, value) in http.Request.RouteValues)
        {
            if (value is string text)
            {
                v.AcceptedLine(text, name);
            }
        }

        foreach (var name in query.Single)
        {
            if (http.Request.Query.TryGetValue(name, out var values) && values.Count > 1)
            {
                v.Add(name, GivenMoreThanOnce);
            }
        }

        if (v.IsValid)
        {
            return next(invocation);
        }

        var problem = v.Problem();
        return ValueTask.FromResult<object?>(http.GetEndpoint()?.Metadata.GetMetadata<ProblemFormat>() is { } format ? format.Answer(http, problem) : problem);
    }

    /// <summary>
    /// The query parameters of <paramref name="handler"/>, by minimal APIs' rules: a parameter marked
    /// <c>[FromQuery]</c> (by the name given there), or one without a binding attribute whose type is read from
    /// text (a string, an enum, a parsable type, or an array of them) and whose name is not a route parameter.
    /// </summary>
    internal static QueryParameters Describe(MethodInfo handler, RoutePattern pattern)
    {
        var single = new List<string>();
        var lists = new List<string>();
        foreach (var parameter in handler.GetParameters())
        {
            var attributes = parameter.GetCustomAttributes(inherit: true);
            string name;
            if (attributes.OfType<IFromQueryMetadata>().FirstOrDefault() is { } fromQuery)
            {
                name = fromQuery.Name ?? parameter.Name!;
            }
            else if (parameter.Name is null || pattern.GetParameter(parameter.Name) is not null || !IsReadFromText(parameter.ParameterType)
                || attributes.Any(a => a is IFromRouteMetadata or IFromHeaderMetadata or IFromBodyMetadata or IFromFormMetadata or IFromServiceMetadata
                    or AsParametersAttribute or FromKeyedServicesAttribute))
            {
                continue;
            }
            else
            {
                name = parameter.Name;
            }

            (IsList(parameter.ParameterType) || attributes.OfType<CommaSeparatedListAttribute>().Any() ? lists : single).Add(name);
        }

        return new QueryParameters(single, lists);
    }

    private static bool IsList(Type type) => type == typeof(StringValues) || type == typeof(StringValues?) || type.IsArray;

    private static bool IsReadFromText(Type type)
    {
        if (IsList(type))
        {
            return type.IsArray ? IsReadFromText(type.GetElementType()!) : true;
        }

        var value = Nullable.GetUnderlyingType(type) ?? type;
        return value == typeof(string) || value.IsEnum
            || value.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IParsable<>));
    }
}
