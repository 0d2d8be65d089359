using EventCase.Cases;
using EventCase.Cases.Routing;

namespace WardProjection;

/// <summary>Three made-up wards of Boston, roughly around Back Bay, the South End and Dorchester.</summary>
public static class Wards
{
    /// <summary>The wards.</summary>
    public static IReadOnlyList<GeoArea> Boston { get; } =
    [
        GeoArea.PolygonArea("Ward 5 (Back Bay)", new GeoPoint(42.345, -71.095), new GeoPoint(42.356, -71.095), new GeoPoint(42.356, -71.068), new GeoPoint(42.345, -71.068)),
        GeoArea.PolygonArea("Ward 9 (South End)", new GeoPoint(42.330, -71.085), new GeoPoint(42.345, -71.085), new GeoPoint(42.345, -71.060), new GeoPoint(42.330, -71.060)),
        GeoArea.Rectangle("Ward 16 (Dorchester)", new BoundingBox(42.280, -71.080, 42.315, -71.030)),
    ];
}
