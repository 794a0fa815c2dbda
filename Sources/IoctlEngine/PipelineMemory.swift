import I2ODevice

/// What the engine needs of the memory it dispatches through: the request's scope goes in, the
/// fetch count comes out. Generic code over the wrapper's own type (rather than over the memory
/// it wraps) gets the wrapper's type from its caller, whose code knows it: no run-time type
/// lookup per ioctl.
@usableFromInline
protocol PipelineMemoryProtocol: UserMemory {
    var fetches: Int { get }
    var scope: RequestScope? { get set }
    /// Whether the request's fetches and stores are being logged (a tracer records them).
    var logsMemory: Bool { get }
}

/// The caller's memory as the pipeline gives it to a handler: counts fetch rounds and, when the
/// request has a scope, logs fetches and stores into its `MemoryLog` and passes stores through its
/// `StoreFilter`. Without a scope every call goes straight to the caller's memory.
/// (Made by `Engine.ioctl`'s inlinable entry in the caller's code, hence `@usableFromInline`.)
@usableFromInline
struct PipelineMemory<Base: UserMemory>: PipelineMemoryProtocol {
    /// The caller's memory, borrowed for one `ioctl` call.
    let base: UnsafeMutablePointer<Base>
    @usableFromInline var fetches = 0
    @usableFromInline var scope: RequestScope? { didSet { log = scope?.memoryLog } }
    private var log: MemoryLog?

    @usableFromInline
    init(base: UnsafeMutablePointer<Base>) { self.base = base }

    @usableFromInline
    var logsMemory: Bool { log != nil }

    @usableFromInline
    mutating func fetch(reads: [UserRange], writes: [UserRange]) throws(NeedsRound) -> [[UInt8]?] {
        fetches += 1
        guard let log else { return try base.pointee.fetch(reads: reads, writes: writes) }
        do throws(NeedsRound) {
            let got = try base.pointee.fetch(reads: reads, writes: writes)
            log.append(.fetch(reads: reads.enumerated().map { ($0.element, $0.offset < got.count ? got[$0.offset] : nil) },
                              writes: writes, needsRound: false))
            return got
        } catch {
            log.append(.fetch(reads: reads.map { ($0, nil) }, writes: writes, needsRound: true))
            throw error
        }
    }

    @usableFromInline
    mutating func fetch(_ range: UserRange) throws(NeedsRound) -> [UInt8]? {
        if log != nil { return try fetch(reads: [range], writes: []).first ?? nil }
        fetches += 1
        return try base.pointee.fetch(range)
    }

    @usableFromInline
    mutating func fetch(_ reads: UserRanges, _ writes: UserRanges) throws(NeedsRound) -> FetchedRanges {
        if log != nil { return FetchedRanges(try fetch(reads: Array(reads), writes: Array(writes))) }
        fetches += 1
        return try base.pointee.fetch(reads, writes)
    }

    /// Unchecked reservations go to the caller's memory as such; a log shows them with the writes.
    @usableFromInline
    mutating func fetch(_ reads: UserRanges, _ writes: UserRanges, unchecked: UserRanges) throws(NeedsRound) -> FetchedRanges {
        if unchecked.isEmpty { return try fetch(reads, writes) }
        fetches += 1
        guard let log else { return try base.pointee.fetch(reads, writes, unchecked: unchecked) }
        do throws(NeedsRound) {
            let got = try base.pointee.fetch(reads, writes, unchecked: unchecked)
            log.append(.fetch(reads: reads.indices.map { (reads[$0], got.bytes($0)) }, writes: Array(writes + unchecked),
                              needsRound: false))
            return got
        } catch {
            log.append(.fetch(reads: reads.map { ($0, nil) }, writes: Array(writes + unchecked), needsRound: true))
            throw error
        }
    }

    @usableFromInline
    mutating func storeUnchecked(_ bytes: UnsafeRawBufferPointer, at address: UInt64) -> Bool {
        guard let scope else { return base.pointee.storeUnchecked(bytes, at: address) }
        let original = Array(bytes)
        let stored = scope.storeFilter.map { $0.apply(original) } ?? original
        let ok = stored.withUnsafeBytes { base.pointee.storeUnchecked($0, at: address) }
        log?.append(.store(address: address, bytes: original, ok: ok))
        return ok
    }

    @usableFromInline
    mutating func store(_ bytes: UnsafeRawBufferPointer, at address: UInt64) -> Bool {
        // A filtered or logged store goes through the array path.
        if scope != nil { return store(Array(bytes), at: address) }
        return base.pointee.store(bytes, at: address)
    }

    @usableFromInline
    mutating func store(_ bytes: [UInt8], at address: UInt64) -> Bool {
        let filter = scope?.storeFilter
        let ok = base.pointee.store(filter.map { $0.apply(bytes) } ?? bytes, at: address)
        log?.append(.store(address: address, bytes: bytes, ok: ok))
        return ok
    }
}
