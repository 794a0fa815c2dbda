import I2ODevice
import Synchronization

/// The records of requests waiting for their transport's next round (a CUSE retry, a preload
/// NEED), by open file: a request's start, rounds and interceptor state live across its calls.
final class PendingRequests: Sendable {
    private let table = Mutex<[OpenFileID: RequestContext]>([:])
    /// How many records `table` holds: when none, a call need not look there.
    private let count = Atomic<Int>(0)

    /// Takes `file`'s record, if any (cheap when there is none).
    func take(_ file: OpenFileID) -> RequestContext? {
        guard count.load(ordering: .acquiring) > 0 else { return nil }
        return table.withLock { t in
            let r = t.removeValue(forKey: file)
            if r != nil { count.subtract(1, ordering: .releasing) }
            return r
        }
    }

    /// Keeps `context` until its request's next call.
    func keep(_ context: RequestContext) {
        table.withLock { t in
            if t.updateValue(context, forKey: context.file) == nil { count.add(1, ordering: .releasing) }
        }
    }

    /// Whether `file` has an unfinished request (for tests).
    func has(_ file: OpenFileID) -> Bool { table.withLock { $0[file] != nil } }
    /// Whether no request is unfinished (for tests).
    var isEmpty: Bool { count.load(ordering: .acquiring) == 0 }

    /// Forgets `file`'s unfinished request, if any.
    func drop(_ file: OpenFileID) { _ = take(file) }
}

extension Engine {
    /// A transport may answer a first call on `file` itself when the file is open and no active
    /// interceptor must see the request's every round (a fault rule, a tracer).
    public func mayAnswerFirstRound(_ file: OpenFileID) -> Bool {
        for i in interceptors.ioctl where i.isActive && i.seesRounds { return false }
        return state.withLock { $0.files[file] != nil }
    }

    /// Counts the first round of `request`, answered by its transport, as the engine's own: the
    /// request begins now (the interceptors see it begin; none of them sees rounds, or the
    /// transport could not have answered) with one round, as if the engine had asked for it.
    public func firstRoundAnswered(_ request: IoctlRequest) -> Bool {
        guard mayAnswerFirstRound(request.file) else { return false }
        var context = newContext(request)
        context.begun = true
        for (i, interceptor) in interceptors.ioctl.enumerated() where context.active[i] {
            _ = interceptor.requestBegins(&context)
        }
        context.rounds = 1
        requests.keep(context)
        return true
    }
}
