namespace EventCase.EventStore.Serialization;

/// <summary>
/// Marks a property of an event as personal data of a data subject (a name, a phone number, an e-mail address,
/// free text a citizen wrote). Such fields will be stored encrypted with a key per data subject so that erasing a
/// person means destroying their key: the ciphertext stays, the hash chain still verifies, and every statistic
/// survives. Marking them from the first event means that can be added without rewriting history.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter, AllowMultiple = false, Inherited = true)]
public sealed class PersonalDataAttribute : Attribute;
