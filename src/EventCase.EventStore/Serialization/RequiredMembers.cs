using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace EventCase.EventStore.Serialization;

/// <summary>
/// The rule by which a stored document must hold what its record cannot do without (decision 0019): a member whose
/// constructor parameter is non-nullable and has no default value is required, and may not be an explicit null. A
/// nullable member, or one with a default value, may be absent: that is how the store writes a null (nulls are
/// omitted), and how an event stored before an optional member was added reads.
/// </summary>
/// <remarks>
/// System.Text.Json's <see cref="JsonSerializerOptions.RespectRequiredConstructorParameters"/> alone would require
/// nullable members as well, unless each had a default value; C# allows a default only on trailing parameters, and the
/// events' optional members sit between required ones. The nullability annotations already say which members may be
/// missing, so the rule takes the switch (which also covers get-only properties bound to the constructor, which a
/// contract may not otherwise mark required) and lets nullable members go.
/// </remarks>
internal static class RequiredMembers
{
    /// <summary>
    /// <paramref name="options"/> with the rule applied on top of its resolver, and nullable annotations respected.
    /// </summary>
    public static JsonSerializerOptions ForReading(JsonSerializerOptions options) => new(options)
    {
        RespectRequiredConstructorParameters = true,
        RespectNullableAnnotations = true,
        TypeInfoResolver = (options.TypeInfoResolver ?? new DefaultJsonTypeInfoResolver()).WithAddedModifier(LetNullableMembersBeAbsent),
    };

    /// <summary>Frees the nullable constructor-bound members of one type's contract from the switch.</summary>
    private static void LetNullableMembersBeAbsent(JsonTypeInfo typeInfo)
    {
        if (typeInfo.Kind != JsonTypeInfoKind.Object)
        {
            return;
        }

        foreach (var property in typeInfo.Properties)
        {
            // A member declared required (C# `required`, [JsonRequired]) stays so whatever its type: only what the switch
            // made required is freed.
            if (property.AssociatedParameter is { IsNullable: true } && !IsDeclaredRequired(property))
            {
                property.IsRequired = false;
            }
        }
    }

    private static bool IsDeclaredRequired(JsonPropertyInfo property) =>
        property.AttributeProvider is { } member
        && (member.IsDefined(typeof(System.Runtime.CompilerServices.RequiredMemberAttribute), inherit: false)
            || member.IsDefined(typeof(System.Text.Json.Serialization.JsonRequiredAttribute), inherit: false));
}
