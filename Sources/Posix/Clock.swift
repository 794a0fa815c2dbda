#if canImport(Glibc)
import Glibc
#endif

/// The system's clocks, and sleeping.
public enum SystemClock {
    /// Nanoseconds of the monotonic clock (from an arbitrary start; never goes back).
    ///
    /// The corresponding C function is `clock_gettime` (`CLOCK_MONOTONIC`).
    @inlinable
    public static func monotonicNanoseconds() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }

    /// Seconds since the Unix epoch, by the wall clock.
    ///
    /// The corresponding C function is `clock_gettime` (`CLOCK_REALTIME`).
    @inlinable
    public static func realtimeSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_REALTIME, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// Suspends the calling thread for `microseconds` (less when a signal arrives).
    ///
    /// The corresponding C function is `usleep`.
    @inlinable
    public static func sleep(microseconds: UInt32) {
        _ = usleep(microseconds)
    }
}
