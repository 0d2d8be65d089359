namespace Open311Intake;

/// <summary>How a watch ended: the last status read, and whether it was closed before the time ran out.</summary>
internal sealed record WatchOutcome(Open311ServiceRequest Last, bool Closed);

/// <summary>
/// Polls one request until it is closed or the time is up, reporting each change of status, notes or update time
/// once — what a 311 app does to tell a resident "your pothole was filled". GeoReport v2 has no push, so polling at a
/// modest interval is the spec's way.
/// </summary>
internal static class RequestWatcher
{
    public static async Task<WatchOutcome> WatchAsync(
        Open311Client client, string serviceRequestId, TimeSpan interval, TimeSpan timeout, TimeProvider time,
        Func<Open311ServiceRequest, Task> onChange, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(onChange);
        var deadline = time.GetTimestamp() + (long)(timeout.TotalSeconds * time.TimestampFrequency);
        Open311ServiceRequest? last = null;
        while (true)
        {
            var current = await client.GetRequestAsync(serviceRequestId, cancellationToken);
            if (last is null || current.Status != last.Status || current.StatusNotes != last.StatusNotes || current.UpdatedDatetime != last.UpdatedDatetime)
            {
                await onChange(current);
            }

            last = current;
            if (current.IsClosed)
            {
                return new WatchOutcome(current, Closed: true);
            }

            var left = TimeSpan.FromSeconds((double)(deadline - time.GetTimestamp()) / time.TimestampFrequency);
            if (left <= TimeSpan.Zero)
            {
                return new WatchOutcome(current, Closed: false);
            }

            await Task.Delay(left < interval ? left : interval, time, cancellationToken);
        }
    }
}
