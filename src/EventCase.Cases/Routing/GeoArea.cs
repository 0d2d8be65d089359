namespace EventCase.Cases.Routing;

/// <summary>A latitude/longitude rectangle. A box whose <see cref="West"/> is east of its <see cref="East"/> crosses the antimeridian.</summary>
/// <param name="South">Southern edge (degrees).</param>
/// <param name="West">Western edge (degrees).</param>
/// <param name="North">Northern edge (degrees).</param>
/// <param name="East">Eastern edge (degrees).</param>
public sealed record BoundingBox(double South, double West, double North, double East)
{
    /// <summary>True when <paramref name="point"/> lies inside or on the edge of the box.</summary>
    public bool Contains(GeoPoint point)
    {
        ArgumentNullException.ThrowIfNull(point);
        if (point.Latitude < South || point.Latitude > North)
        {
            return false;
        }

        return West <= East
            ? point.Longitude >= West && point.Longitude <= East
            : point.Longitude >= West || point.Longitude <= East;
    }
}

/// <summary>
/// A named area routing rules refer to ("Ward 3", "Downtown"): a bounding box or a polygon (exactly one). Polygons
/// are tested with ray casting (even-odd rule) on longitude/latitude as plane coordinates, which is what city-sized
/// areas need; a point exactly on a polygon edge may fall on either side.
/// </summary>
public sealed record GeoArea
{
    /// <summary>Creates an area; prefer <see cref="Rectangle"/> and <see cref="PolygonArea"/>.</summary>
    /// <param name="name">The area's name.</param>
    /// <param name="box">The box, or null for a polygon.</param>
    /// <param name="polygon">The polygon's vertices in order (at least three; not closed: the last joins the first), or null for a box.</param>
    /// <exception cref="ArgumentException">Not exactly one shape, a blank name, or a polygon of fewer than three valid points.</exception>
    public GeoArea(string name, BoundingBox? box, IReadOnlyList<GeoPoint>? polygon)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new ArgumentException("An area needs a name.", nameof(name));
        }

        if ((box is null) == (polygon is null))
        {
            throw new ArgumentException($"Area '{name}' needs exactly one shape: a bounding box or a polygon.", nameof(box));
        }

        if (polygon is not null && (polygon.Count < 3 || polygon.Any(p => !p.IsValid)))
        {
            throw new ArgumentException($"The polygon of area '{name}' needs at least three valid points.", nameof(polygon));
        }

        Name = name;
        Box = box;
        Polygon = polygon;
    }

    /// <summary>The area's name.</summary>
    public string Name { get; }

    /// <summary>The box, when the area is a box.</summary>
    public BoundingBox? Box { get; }

    /// <summary>The polygon's vertices, when the area is a polygon.</summary>
    public IReadOnlyList<GeoPoint>? Polygon { get; }

    /// <summary>A box-shaped area.</summary>
    public static GeoArea Rectangle(string name, BoundingBox box) => new(name, box, null);

    /// <summary>A polygon-shaped area.</summary>
    public static GeoArea PolygonArea(string name, params IReadOnlyList<GeoPoint> vertices) => new(name, null, vertices);

    /// <summary>True when <paramref name="point"/> lies in the area.</summary>
    public bool Contains(GeoPoint point)
    {
        ArgumentNullException.ThrowIfNull(point);
        if (Box is not null)
        {
            return Box.Contains(point);
        }

        // Ray casting: count the polygon edges a ray going east from the point crosses; odd means inside.
        var vertices = Polygon!;
        var inside = false;
        for (int i = 0, j = vertices.Count - 1; i < vertices.Count; j = i++)
        {
            var (xi, yi) = (vertices[i].Longitude, vertices[i].Latitude);
            var (xj, yj) = (vertices[j].Longitude, vertices[j].Latitude);
            if ((yi > point.Latitude) != (yj > point.Latitude)
                && point.Longitude < ((xj - xi) * (point.Latitude - yi) / (yj - yi)) + xi)
            {
                inside = !inside;
            }
        }

        return inside;
    }
}
