namespace EventCase.Cases.Catalog;

/// <summary>A service as the catalog holds it now: its definition and whether it is still offered.</summary>
/// <param name="Definition">The current definition.</param>
/// <param name="IsRetired">True when the service no longer takes new requests.</param>
public sealed record CatalogEntry(ServiceDefinition Definition, bool IsRetired = false);
