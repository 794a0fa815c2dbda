import Faults
import I2OABI
import I2ODevice
import I2OFormats
import IOPModel
import IoctlEngine
import Persistence
import Trace

/// A simulator is served as its engine is: every call goes to `engine`, through its pipeline.
extension Simulator: ControlNode {
    public func open(by caller: Int32?) -> OpenFileID { engine.open(by: caller) }
    public func release(_ file: OpenFileID, by caller: Int32?) { engine.release(file, by: caller) }
    @inlinable
    public func ioctl(_ request: IoctlRequest, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        try engine.ioctl(request, memory: &memory)
    }
    public func read(_ file: OpenFileID, capacity: Int, by caller: Int32?) -> ReadResult { engine.read(file, capacity: capacity, by: caller) }
    public func write(_ file: OpenFileID, count: Int, by caller: Int32?) -> IoctlResult { engine.write(file, count: count, by: caller) }
    public func isReadable(_ file: OpenFileID) -> Bool { engine.isReadable(file) }
    public var fileOperations: FileOperations { engine.fileOperations }
    public func mayAnswerFirstRound(_ file: OpenFileID) -> Bool { engine.mayAnswerFirstRound(file) }
    public func firstRoundAnswered(_ request: IoctlRequest) -> Bool { engine.firstRoundAnswered(request) }
}

// The simulator's controls in one place (the control channel and tests use them).
extension Simulator {
    /// Adds a fault rule. - Returns: its id.
    @discardableResult
    public func addFault(_ rule: FaultRule) -> Int { faults.add(rule) }
    /// Removes fault rule `id` (nil: all). - Returns: how many were removed.
    @discardableResult
    public func removeFault(_ id: Int?) -> Int { faults.remove(id) }
    /// Releases every hung request. - Returns: how many were waiting.
    @discardableResult
    public func releaseHangs() -> Int { faults.releaseHangs() }
    /// The tracer receiving a record per request; nil traces nothing.
    public var tracer: (any EngineTracer)? {
        get { tracing.tracer }
        set { tracing.tracer = newValue }
    }
    /// Attaches a state directory: from now on acknowledged changes are written to it.
    public func attachState(_ directory: StateDirectory, log: (@Sendable (String) -> Void)? = nil) {
        persistence.attach(directory, to: engine, log: log)
    }
    /// A copy of the machine as it is now.
    public var machine: Machine { engine.machine }
    /// The dpt_i2o node `/dev/dptiN` of IOP `unit` over this machine (docs/dpti.md), its successful
    /// I2OUSRCMDs written to the state directory as PASSTHRU's are; nil when there is no such IOP.
    public func dptiNode(unit: IOPUnit) -> DPTINode? {
        DPTINode(engine: engine, unit: unit, saveState: { [persistence] in persistence.save() })
    }
}

extension Simulator {
    /// The events queued for `file` (oldest first) and its lost count; nil for an unknown file.
    public func queuedEvents(_ file: OpenFileID) -> (events: [EventInfo], lost: Int32)? { engine.queuedEvents(file) }
}
