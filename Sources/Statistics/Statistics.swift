import I2OABI
import I2ODevice
import IoctlEngine
import Posix
import Synchronization

/// Request statistics (`i2osim ctl stats`): per ioctl, requests, errors by errno, rounds and
/// latency percentiles. An interceptor of the pipeline, always active: it notes when a request
/// begins (in its context, which lives as long as the request) and records it when it ends.
public final class Statistics: IoctlInterceptor {
    private let collector = Mutex<StatsCollector>(StatsCollector())

    public init() {}

    public var isActive: Bool { true }

    public func requestBegins(_ request: inout RequestContext) -> IoctlResult? {
        request.timestamp = SystemClock.monotonicNanoseconds()
        return nil
    }

    public func requestEnds(_ request: RequestContext, _ result: IoctlResult) -> IoctlResult {
        let elapsed = SystemClock.monotonicNanoseconds() &- request.timestamp
        collector.withLock { $0.record(kind: request.kind, result: result, rounds: request.rounds, nanoseconds: elapsed) }
        return result
    }

    /// The statistics since the start (or the last `reset`).
    public var summary: EngineStatistics { collector.withLock { $0.summary() } }

    public func reset() { collector.withLock { $0 = StatsCollector() } }
}

/// Statistics of one ioctl.
public struct IoctlStatistics: Codable, Hashable, Sendable {
    public var requests = 0
    public var errors = 0
    /// Errors by errno name.
    public var errnos: [String: Int] = [:]
    /// Fetch rounds per request (UserMemory.fetch calls of the final pass plus transport retries).
    public var roundsMean = 0.0
    public var roundsMax = 0
    /// Latency percentiles over the last 1024 requests, microseconds.
    public var p50us = 0.0, p90us = 0.0, p99us = 0.0, maxus = 0.0
}

/// Everything `i2osim ctl SOCKET stats` shows.
public struct EngineStatistics: Codable, Hashable, Sendable {
    public var ioctls: [String: IoctlStatistics] = [:]
    public var requests = 0
    public var errors = 0
}

struct StatsCollector: Sendable {
    struct Slot: Sendable {
        var requests = 0, errors = 0, rounds = 0, roundsMax = 0
        var errnos: [String: Int] = [:]
        var latencies: [UInt64] = []
        var next = 0
    }
    /// By `Kind.statsSlot`; the last slot is for unknown numbers. Updated in place: a copy of
    /// `Slot` out and back would copy its latency window on every request.
    var slots = [Slot](repeating: Slot(), count: IoctlCommand.Kind.allCases.count + 1)
    static let window = 1024

    mutating func record(kind: IoctlCommand.Kind?, result: IoctlResult, rounds: Int, nanoseconds: UInt64) {
        let i = kind?.statsSlot ?? slots.count - 1
        slots[i].requests += 1
        if case let .error(e) = result { slots[i].errors += 1; slots[i].errnos[e.description, default: 0] += 1 }
        slots[i].rounds += rounds; slots[i].roundsMax = max(slots[i].roundsMax, rounds)
        if slots[i].latencies.count < Self.window {
            if slots[i].latencies.isEmpty { slots[i].latencies.reserveCapacity(Self.window) }
            slots[i].latencies.append(nanoseconds)
        } else {
            slots[i].latencies[slots[i].next] = nanoseconds
        }
        slots[i].next = (slots[i].next + 1) % Self.window
    }

    /// The slots with their ioctl names.
    var per: [(String, Slot)] {
        zip(IoctlCommand.Kind.allCases.map(\.name) + ["unknown"], slots).filter { $0.1.requests > 0 }
    }

    func summary() -> EngineStatistics {
        var s = EngineStatistics()
        for (name, o) in per {
            let sorted = o.latencies.sorted()
            func pct(_ p: Double) -> Double {
                guard !sorted.isEmpty else { return 0 }
                let i = min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))
                return Double(sorted[i]) / 1000
            }
            s.ioctls[name] = IoctlStatistics(requests: o.requests, errors: o.errors, errnos: o.errnos,
                                             roundsMean: o.requests > 0 ? Double(o.rounds) / Double(o.requests) : 0,
                                             roundsMax: o.roundsMax, p50us: pct(0.5), p90us: pct(0.9), p99us: pct(0.99),
                                             maxus: pct(1))
            s.requests += o.requests
            s.errors += o.errors
        }
        return s
    }
}

extension IoctlCommand.Kind {
    /// Its place in `StatsCollector.slots`: its `nr`, PASSTHRU32 after PASSTHRU (the two share
    /// `nr` 12) — the order of `allCases`, which `CommandTests` checks.
    public var statsSlot: Int { Int(nr) + (self == .passthru32 ? 1 : 0) }
}
