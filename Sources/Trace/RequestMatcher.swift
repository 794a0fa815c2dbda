import I2OABI
import I2ODevice
import Foundation
import I2OFormats
import IoctlEngine

/// Replays one recorded ioctl against the client's memory: the recorded rounds with their
/// addresses translated to the client's (pointers learnt from the struct, a PASSTHRU frame's
/// SGL and the buffers they point to), every byte read compared with the recording (pointers
/// and a frame's contexts aside), then the recorded stores at the translated addresses.
struct RequestMatcher {
    enum Outcome { case value(IoctlResult), needsRound(NeedsRound) }
    /// `retry`: the client's memory asked for a round trip before it can answer (CUSE's retry
    /// protocol): the request goes on at the transport's next call, with the same record.
    enum Verdict { case matched(Outcome), mismatch(String, String?), retry(NeedsRound) }

    let record: TraceRecord
    let argument: UInt64
    let abi: CallerABI
    let command: UInt32
    /// Whether the client's transport calls again after a `NeedsRound` (`IoctlRequest.retriesRounds`).
    var retriesRounds = false
    /// The kernel failed the retry this memory's call asked for (CUSE: the client got EFAULT and
    /// the request is over): only a recording whose kernel failed the same round matches.
    var kernelFailedRetry = false
    /// Recorded base → client base.
    var map: [(rec: UInt64, cli: UInt64)] = []
    /// The recorded PASSTHRU message pointer.
    var passthruMessage: UInt64 = 0
    /// The recorded PASSTHRU reply area (right after the frame), once the frame was compared.
    var replyArea: UInt64?
    /// The frame's contexts (words 2–3) as recorded and as the client sends them now.
    var recordedContexts: [UInt8] = [], clientContexts: [UInt8] = []
    /// Text substitutions (recorded → client), learnt from buffers, applied to the stores.
    var substitutions: [([UInt8], [UInt8])] = []
    /// Every address the recording used (ranges and stores): values equal to or just below one are pointers.
    let addresses: [UInt64]

    init(record: TraceRecord, argument: UInt64, abi: CallerABI, command: UInt32) {
        self.record = record; self.argument = argument; self.abi = abi; self.command = command
        var a: [UInt64] = []
        for r in record.rounds ?? [] { a += r.reads.map(\.address) + r.writes.map(\.address) }
        a += (record.stores ?? []).map(\.address)
        addresses = a.sorted()
    }

    /// The struct field (recorded) that points at `address`, for reports: "opbuf", else "".
    func label(_ address: UInt64) -> String {
        guard let f = record.args?.first(where: { traceParseHex($0.value) == address && $0.value.hasPrefix("0x") }) else { return "" }
        return " (\(f.name))"
    }

    /// Out ranges above this size are reservations the transports do not probe up front
    /// (`RetryRoundMemory.probeLimit`, the preload library's PROBE_LIMIT).
    static let unprobedReservation = 4096
    static let small: UInt64 = 0x10000
    static let span: UInt64 = 1 << 20

    func translate(_ x: UInt64) -> UInt64? {
        if x < Self.small { return x }
        if let m = map.first(where: { $0.rec == x }) { return m.cli }
        var best: (UInt64, UInt64)?
        for m in map where m.rec <= x && x - m.rec < Self.span {
            if let b = best, b.0 >= m.rec { continue }
            best = (m.rec, m.cli)
        }
        guard let (r, c) = best else { return nil }
        return c &+ (x - r)
    }

    mutating func learn(_ rec: UInt64, _ cli: UInt64) {
        guard rec >= Self.small, !map.contains(where: { $0.rec == rec }) else { return }
        map.append((rec, cli))
    }

    /// Bytes from the start of write range `w` to the end of the last recorded store inside it.
    func storedExtent(in w: TraceRange) -> Int {
        let start = w.address, end = w.address &+ UInt64(w.count)
        var extent = 0
        for st in record.stores ?? [] where st.address >= start && st.address < end {
            extent = max(extent, Int(st.address - start) + st.bytes.count / 2)
        }
        return extent
    }

    /// The size to reserve for recorded write range `w`. A reservation the request ended with keeps
    /// its size (the fault is the answer); otherwise only what the recording stored there is asked
    /// for: how much a transport reserves is its own affair (the engine reserves 64 KiB for a
    /// UtilParamsGet result, the pass-through `*reslen`). Through CUSE (`retriesRounds`) a range the
    /// recording reserved above the probe limit stays above it: the kernel reads every smaller out
    /// range in with the retry, so a shrunk one would fail there (EFAULT before the request's last
    /// call) where the recording's faulted only when the reply was copied out.
    func reservation(_ w: TraceRange, endsRequest: Bool) -> Int {
        if endsRequest { return w.count }
        let extent = storedExtent(in: w)
        if retriesRounds, extent > 0, w.count > Self.unprobedReservation {
            return min(w.count, max(extent, Self.unprobedReservation + 1))
        }
        return min(w.count, extent)
    }

    func isPointerValue(_ v: UInt64) -> Bool {
        v >= Self.small && addresses.contains { $0 >= v && $0 - v < Self.span }
    }

    static func le(_ b: [UInt8], _ o: Int, _ w: Int) -> UInt64 {
        var v: UInt64 = 0
        for k in 0..<w { v |= UInt64(b[o + k]) << (8 * UInt64(k)) }
        return v
    }

    mutating func run<M: UserMemory>(_ memory: inout M) -> Verdict {
        guard let recArg = traceParseHex(record.arg ?? "") else { return .mismatch("the record has no argument", nil) }
        let cmd = IoctlCommand.decode(command, abi: abi)
        var structArgs: String?
        if cmd?.kind == .validate || recArg < Self.small || argument < Self.small {
            guard recArg == argument else { return .mismatch("argument \(hex(argument)), recorded \(hex(recArg))", nil) }
        } else {
            learn(recArg, argument)
        }
        let rounds = record.rounds ?? []
        for (k, round) in rounds.enumerated() {
            var reads: [UserRange] = [], writes: [UserRange] = []
            for r in round.reads {
                guard let a = translate(r.address) else { return .mismatch("round \(k + 1): no place for the recorded read at \(r.addr)", structArgs) }
                reads.append(UserRange(address: a, count: r.count))
            }
            for w in round.writes {
                guard let a = translate(w.address) else { return .mismatch("round \(k + 1): no place for the recorded write at \(w.addr)", structArgs) }
                let count = reservation(w, endsRequest: round.needsRound == true)
                if count > 0 { writes.append(UserRange(address: a, count: count)) }
            }
            let got: [[UInt8]?]
            do {
                got = try memory.fetch(reads: reads, writes: writes)
            } catch {
                // The recording's request ended at this round: its client's memory refused the
                // ranges (preload: a write reservation; CUSE: the kernel failed the retry, EFAULT).
                let endedHere = round.needsRound == true && k == rounds.count - 1
                if kernelFailedRetry {
                    return endedHere ? .matched(.value(.error(.EFAULT)))
                        : .mismatch("round \(k + 1): the kernel failed the retry with EFAULT (the client's memory refused reads \(reads), writes \(writes)); the recording's client gave them", structArgs)
                }
                // A transport that retries (CUSE) asks for the round and calls again: same record.
                // Whether its kernel fails the round, as the recording's did, shows only when the
                // client's next request comes instead (`ReplayBackend`'s pending requests).
                if retriesRounds { return .retry(error) }
                if endedHere { return .matched(.needsRound(error)) }
                // Through CUSE the kernel copies the results out after the daemon answered: a copy-out
                // fault never reached the trace, and the client got EFAULT. So does this one.
                if record.transport == "cuse", !writes.isEmpty { return .matched(.needsRound(error)) }
                // Through preload, a big reservation (PARMGET's 64 KiB, a pass-through's) is not
                // probed before the request: a fault in the bytes really stored shows only at the
                // client, which got EFAULT while the trace shows the daemon's result. So does this one.
                if !writes.isEmpty, round.writes.contains(where: { $0.count > Self.unprobedReservation }) {
                    return .matched(.needsRound(error))
                }
                return .mismatch("round \(k + 1): the client's memory refused ranges the recording had (reads \(reads), writes \(writes))", structArgs)
            }
            if round.needsRound == true {
                // Through CUSE the kernel failed this round with EFAULT: so must this client's memory.
                if record.transport == "cuse", k == rounds.count - 1, got.contains(where: { $0 == nil }) {
                    return .matched(.value(.error(.EFAULT)))
                }
                return .mismatch("round \(k + 1): the recording's client refused these ranges; this client accepted them", structArgs)
            }
            for (j, r) in round.reads.enumerated() {
                let c = j < got.count ? got[j] : nil
                let expected = r.bytes.flatMap(traceBytes)
                switch (expected, c) {
                case (nil, nil): continue
                case (nil, _?): return .mismatch("round \(k + 1) read \(j) (\(r.count) bytes): readable now, faulted when recorded", structArgs)
                case (_?, nil): return .mismatch("round \(k + 1) read \(j) (\(r.count) bytes at \(hex(reads[j].address))): faults now, was readable when recorded", structArgs)
                case let (e?, c?):
                    let isStruct = k == 0 && j == 0 && r.address == recArg && cmd != nil
                    if isStruct, let cmd { structArgs = "\(cmd.name)[\(hex(command, width: 8)) \(abi.rawValue)](" + TraceArgs.decode(cmd, c).map { "\($0.name)=\($0.value)" }.joined(separator: " ") + ")" }
                    let isFrame = (cmd?.kind == .passthru || cmd?.kind == .passthru32) && k > 0 && r.count >= 12
                        && r.address == passthruMessage
                    if isStruct, let cmd, cmd.kind == .passthru || cmd.kind == .passthru32 {
                        let (offsets, w) = TraceArgs.pointerFields(cmd)
                        if let o = offsets.first, o + w <= e.count { passthruMessage = Self.le(e, o, w) }
                    }
                    // PASSTHRU's reply area: the device reads only its MessageSize (bytes 2-3), capped at 128 words.
                    let isReplyWord = (cmd?.kind == .passthru || cmd?.kind == .passthru32) && k > 0 && r.count == 4
                        && passthruMessage != 0 && r.address > passthruMessage
                    if isReplyWord, e.count == 4, c.count == 4 {
                        if min(Self.le(e, 2, 2), 128) != min(Self.le(c, 2, 2), 128) {
                            return .mismatch("round \(k + 1) read \(j): the reply area's MessageSize is \(Self.le(c, 2, 2)), recorded \(Self.le(e, 2, 2))", structArgs)
                        }
                        continue
                    }
                    if let diff = compare(e, c, isStruct: isStruct, isFrame: isFrame, cmd: cmd) {
                        let what = isStruct ? "the \(cmd?.name ?? "ioctl") struct" : "round \(k + 1) read \(j)\(label(r.address))"
                        return .mismatch("\(what): \(diff)", structArgs)
                    }
                }
            }
        }
        if kernelFailedRetry {
            return .mismatch("the kernel failed a retry with EFAULT; the recording answered every round of this request", structArgs)
        }
        for s in record.stores ?? [] {
            guard let a = translate(s.address), let b = traceBytes(s.bytes) else { return .mismatch("no place for the recorded store at \(s.addr)", structArgs) }
            var bytes = substituted(b)
            if s.address == replyArea { echoClientContexts(recorded: b, into: &bytes) }
            _ = memory.store(bytes, at: a)
        }
        if record.needsRound == true {
            return .matched(.needsRound(NeedsRound(reads: [], writes: [])))
        }
        return .matched(.value(record.ioctlResult ?? .error(.EIO)))
    }

    /// A PASSTHRU frame (recorded `e`, the client's `c`): the bytes not to compare. The contexts
    /// are the caller's own, noted to be given back in the reply; each SGL element's address is
    /// a pointer, relocated by its place in the frame (an address below `small` — NULL, a bad
    /// pointer — is compared as it is).
    mutating func frameFieldsToSkip(_ e: [UInt8], _ c: [UInt8]) -> Set<Int> {
        let fields = PassthruFrameFields(frame: e)
        var skip = Set(fields.contexts)
        recordedContexts = Array(e[fields.contexts])
        clientContexts = Array(c[fields.contexts])
        replyArea = passthruMessage &+ UInt64(e.count)
        for (o, w) in fields.addresses {
            let rv = Self.le(e, o, w), cv = Self.le(c, o, w)
            guard rv >= Self.small, cv >= Self.small else { continue }
            learn(rv, cv)
            if translate(rv) == cv { skip.formUnion(o..<o + w) }
        }
        return skip
    }

    /// The recorded reply frame stored into the reply area echoes the recorded contexts (words
    /// 2–3): each word that does is given the client's instead.
    func echoClientContexts(recorded: [UInt8], into bytes: inout [UInt8]) {
        let start = PassthruFrameFields.contextBytes.lowerBound
        for w in stride(from: 0, to: recordedContexts.count - 3, by: 4) where start + w + 4 <= recorded.count {
            let r = start + w..<start + w + 4
            if Array(recorded[r]) == Array(recordedContexts[w..<w + 4]) {
                bytes.replaceSubrange(r, with: clientContexts[w..<w + 4])
            }
        }
    }

    static func printable(_ b: UInt8) -> Bool { b >= 0x20 && b < 0x7F }

    /// The text around a differing byte at `i`: leftwards printable in both, rightwards printable
    /// or NUL in both (NUL-padded text fields of another length), up to the last differing byte;
    /// nil when it is not text (fewer than 4 printable bytes on either side).
    static func textRun(_ e: [UInt8], _ c: [UInt8], at i: Int) -> Range<Int>? {
        func textish(_ b: UInt8) -> Bool { b == 0 || printable(b) }
        guard textish(e[i]), textish(c[i]) else { return nil }
        var a = i, b = i + 1
        while a > 0, printable(e[a - 1]), printable(c[a - 1]) { a -= 1 }
        while b < e.count, textish(e[b]), textish(c[b]) { b += 1 }
        var last = i
        for k in i..<b where e[k] != c[k] { last = k }
        let run = a..<(last + 1)
        guard run.filter({ printable(e[$0]) }).count >= 4, run.filter({ printable(c[$0]) }).count >= 4 else { return nil }
        return run
    }

    func substituted(_ bytes: [UInt8]) -> [UInt8] {
        guard !substitutions.isEmpty else { return bytes }
        var b = bytes
        for (from, to) in substitutions where from.count <= b.count {
            var i = 0
            while i + from.count <= b.count {
                if b[i] == from[0], Array(b[i..<i + from.count]) == from {
                    b.replaceSubrange(i..<i + from.count, with: to)
                    i += from.count
                } else {
                    i += 1
                }
            }
        }
        return b
    }

    /// Compares recorded and client bytes, learning pointers; nil when they agree.
    mutating func compare(_ e: [UInt8], _ c: [UInt8], isStruct: Bool, isFrame: Bool, cmd: IoctlCommand?) -> String? {
        guard e.count == c.count else { return "\(c.count) bytes, recorded \(e.count)" }
        var skip = Set<Int>()
        if isFrame {
            skip = frameFieldsToSkip(e, c)
        } else if isStruct, let cmd {
            let (offsets, w) = TraceArgs.pointerFields(cmd)
            for o in offsets where o + w <= e.count {
                let rv = Self.le(e, o, w), cv = Self.le(c, o, w)
                if rv >= Self.small && cv >= Self.small {
                    learn(rv, cv)
                    if translate(rv) == cv { for k in o..<o + w { skip.insert(k) } }
                }
            }
        } else {
            // Nested pointers in a buffer: 4-byte words the recording used as addresses.
            var o = 0
            while o + 4 <= e.count {
                let rv = Self.le(e, o, 4), cv = Self.le(c, o, 4)
                if rv != cv, isPointerValue(rv), cv >= Self.small {
                    learn(rv, cv)
                    if translate(rv) == cv { for k in o..<o + 4 { skip.insert(k) } }
                }
                o += 4
            }
        }
        var i = 0
        while i < e.count {
            defer { i += 1 }
            guard !skip.contains(i), e[i] != c[i] else { continue }
            if !isStruct, let run = Self.textRun(e, c, at: i) {
                // Text payload (a name with the client's pid, a time): accepted, and given back.
                let from = Array(e[run]), to = Array(c[run])
                if !substitutions.contains(where: { $0.0 == from }) { substitutions.append((from, to)) }
                i = run.upperBound - 1
                continue
            }
            var field = ""
            if isStruct, let cmd {
                let names = TraceArgs.decode(cmd, e)
                let fieldsE = names.map { "\($0.name)=\($0.value)" }
                let fieldsC = TraceArgs.decode(cmd, c).map { "\($0.name)=\($0.value)" }
                let diffs = zip(zip(names, TraceArgs.decode(cmd, c)), zip(fieldsE, fieldsC)).filter { pair in
                    let (fe, fc) = pair.0
                    guard pair.1.0 != pair.1.1 else { return false }
                    // A pointer that translates is not a difference.
                    if let re = traceParseHex(fe.value), let rc = traceParseHex(fc.value), fe.value.hasPrefix("0x"),
                       re >= Self.small, translate(re) == rc { return false }
                    return true
                }.map { "\($0.1.1) (recorded \($0.1.0.split(separator: "=").last ?? ""))" }
                if !diffs.isEmpty { field = " — " + diffs.joined(separator: ", ") }
            }
            return "byte \(i): \(hex(c[i], width: 2)), recorded \(hex(e[i], width: 2))\(field)"
        }
        return nil
    }
}
