import Statistics
import I2OABI
import Faults
import I2OFormats
import I2ODevice
import IOPModel
import IoctlEngine
import Persistence
import Trace
import Synchronization

/// A simulated machine as i2osim serves it: the host driver (`Engine`) with its request pipeline
/// assembled — this is the one place the chain is put together (docs/architecture.md):
///
///     ioctl → Tracing → Statistics → Persistence → FaultInjector → personality's handler
///     post  → FaultInjector → Tracing (frame capture) → the model
///
/// Tracing is outermost so a trace shows what the caller saw (entry faults included) and innermost
/// on the post path so it shows the frames the model was given; persistence sees the final result
/// of the handler and its faults, so a request that a fault fails writes no state.
public final class Simulator: Sendable {
    public let engine: Engine
    public let tracing: Tracing
    public let statistics: Statistics
    public let persistence: Persistence
    public let faults: FaultInjector
    /// How fast the firmware clocks run against the wall clock (0: they stand still, and only
    /// `advanceFirmwareClocks` moves them). The daemon's ticker reads it (`--clock-speed`,
    /// `ctl clock speed=…`).
    public let clockSpeed = Mutex<Double>(0)

    /// - Parameter timeoutScale: multiplies the personality's waits (`I2OSIM_TIMEOUT_SCALE`).
    public init(machine: Machine, personality: PersonalityName = .documented, observer: (any NodeObserver)? = nil,
                timeoutScale: Double = 1) {
        tracing = Tracing()
        statistics = Statistics()
        persistence = Persistence()
        faults = FaultInjector()
        engine = Engine(machine: machine, personality: personality, observer: observer,
                        interceptors: [tracing, statistics, persistence, faults],
                        frameInterceptors: [faults, tracing],
                        timeoutScale: timeoutScale, postWaiter: faults)
        tracing.countQueuedEvents(of: engine)
        // Unowned: the engine holds the fault layer (and the state layer), and runs this only
        // while it serves a request.
        faults.setFirmwareCommands { [unowned engine, unowned persistence] unit, words in
            let problem = engine.withMachine { m -> String? in
                guard m.iops[unit] != nil else { return "no IOP \(unit.rawValue)" }
                return m.iops[unit]?.firmwareCommand(words)
            }
            persistence.save()
            return problem
        }
    }

    /// Request statistics with the fault layer's and the state directory's counts.
    public var report: SimulatorStatistics {
        let f = faults.snapshot
        let s = statistics.summary
        return SimulatorStatistics(ioctls: s.ioctls, requests: s.requests, errors: s.errors, faultsInjected: f.injected,
                                   rules: f.rules, failedIOPs: f.failedIOPs.map(\.rawValue).sorted(),
                                   stateWrites: persistence.writeCount, hungRequests: faults.hungRequests)
    }

    /// Fails IOP `unit` as a whole (true) or recovers it (false). - Returns: false for no such IOP.
    @discardableResult
    public func setIOPFailed(_ unit: IOPUnit, _ failed: Bool) -> Bool {
        guard engine.machine.hasIOP(unit) else { return false }
        faults.setFailed(unit, failed)
        return true
    }

    /// Sets a parameter past the fault layer (`Engine.setParameter`) and keeps it in the state
    /// directory. - Returns: nil on success, else what went wrong.
    public func setParameter(unit: IOPUnit, tid: TID, group: UInt16, field: UInt16, value: [UInt8]) -> String? {
        if let problem = engine.setParameter(unit: unit, tid: tid, group: group, field: field, value: value) { return problem }
        return persistence.save() ? nil : "the state file could not be written"
    }

    /// `milliseconds` of every IOP's firmware clock go by (background tasks such as a RAID
    /// rebuild move on) and the state directory keeps what changed.
    /// - Returns: false when the state file could not be written.
    @discardableResult
    public func advanceFirmwareClocks(milliseconds: UInt64) -> Bool {
        let changed = engine.withMachine { $0.advanceFirmwareClocks(milliseconds: milliseconds) }
        return !changed || persistence.save()
    }

    /// Changes IOP `unit`'s firmware module through `body` (the control channel's drive and
    /// task commands): the IOP derives its LCT again and the state directory keeps the change.
    /// - Returns: `body`'s answer, nil for no IOP or module of that unit.
    public func changeFirmware<R: Sendable>(_ unit: IOPUnit, _ body: (inout any IOPFirmware) -> R) -> R? {
        let r: R? = engine.withMachine { m in
            guard var module = m.iops[unit]?.firmware else { return nil }
            let r = body(&module)
            m.iops[unit]?.updateFirmware(module, configurationChanged: true)
            return r
        }
        persistence.save()
        return r
    }

    /// Replaces the whole machine (a restored snapshot) and keeps it in the state directory;
    /// failed IOPs that the new machine lacks are forgotten.
    public func replaceMachine(_ description: MachineDescription) {
        engine.replaceMachine(description)
        faults.keepFailed(only: Set(description.iops.map(\.unit)))
        persistence.save()
    }
}

/// Everything `i2osim ctl SOCKET stats` shows.
public struct SimulatorStatistics: Codable, Hashable, Sendable {
    public var ioctls: [String: IoctlStatistics] = [:]
    public var requests = 0
    public var errors = 0
    public var faultsInjected: [String: Int] = [:]
    public var rules: [FaultRule] = []
    public var failedIOPs: [UInt32] = []
    public var stateWrites: Int?
    public var hungRequests = 0
}
