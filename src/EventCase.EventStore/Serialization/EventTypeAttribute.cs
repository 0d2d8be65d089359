namespace EventCase.EventStore.Serialization;

/// <summary>
/// Gives an event record its stable wire name, for example <c>case.opened.v1</c>.
/// The name is what is stored in the log; CLR type names never are. Once shipped, a name never changes:
/// a new shape gets a new name (<c>.v2</c>) and an upcaster from the old one.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class EventTypeAttribute : Attribute
{
    /// <summary>Creates the attribute.</summary>
    /// <param name="name">The stable name: lower case, dot separated, ending in a version such as <c>.v1</c>.</param>
    public EventTypeAttribute(string name) => Name = name;

    /// <summary>The stable wire name of the event type.</summary>
    public string Name { get; }
}
