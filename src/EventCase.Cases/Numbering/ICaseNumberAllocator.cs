namespace EventCase.Cases.Numbering;

/// <summary>Draws case numbers: each call returns a number no other call ever returns.</summary>
public interface ICaseNumberAllocator
{
    /// <summary>
    /// Draws the next number of <paramref name="series"/>. Numbers are unique and increasing within a series; a number
    /// whose open then fails is not reused (gaps are allowed, duplicates never).
    /// </summary>
    Task<CaseNumber> AllocateAsync(CaseNumberSeries series, CancellationToken cancellationToken = default);
}
