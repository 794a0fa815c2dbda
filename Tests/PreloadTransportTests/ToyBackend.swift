import Faults
import Simulator
import I2OABI
import I2ODevice
import Foundation
import IoctlEngine
@testable import PreloadTransport
import Synchronization

/// A stand-in for the engine that exercises the transport, not I2O:
/// - GETIOPS (0x80206900): writes 32 bytes, entry 0 = 1 (no fetch beyond the eager struct).
/// - HRTGET (0xC0186901 lp64 / 0xC00C6901 ilp32): reads `*reslen` (one NEED round), writes a
///   16-byte "HRT" `[iop, A0 … AE]` to `resbuf` and 16 to `*reslen`; short → ENOBUFS.
/// - VALIDATE (0x80046908): queues an event on this open file after `argument` milliseconds.
/// - EVTGET (0x8068690B): the oldest event as 112 bytes; none → ENOENT.
/// - COUNT (0xC0086920, `_IOWR('i', 0x20, u64)`): adds one to the u64 struct in place — a struct
///   read and written, whose writability the client learns to test with the request. The NEED
///   rounds each call took are kept in `countRounds`.
/// - `read`: whole 104-byte records; `write`: EINVAL; `poll` and `fasync` as `fileOperations` says.
/// Event record: u32 sequence number (per open file, from 1), then 100 bytes of 0x11.
final class ToyBackend: ControlNode {
    private struct File { var queue: [[UInt8]] = []; var sequence: UInt32 = 0 }
    private let files = Mutex<[UInt64: File]>([:])
    private let counter = Atomic<UInt64>(1)
    private let observer: any NodeObserver
    let released = Atomic<Int>(0)
    let countRounds = Mutex<[Int]>([])

    let fileOperations: FileOperations

    init(observer: any NodeObserver, fileOperations: FileOperations = .eventQueue) {
        self.observer = observer
        self.fileOperations = fileOperations
    }

    func open(by caller: Int32?) -> OpenFileID {
        let id = counter.wrappingAdd(1, ordering: .relaxed).oldValue
        files.withLock { $0[id] = File() }
        return OpenFileID(rawValue: id)
    }

    func release(_ file: OpenFileID, by caller: Int32?) {
        files.withLock { _ = $0.removeValue(forKey: file.rawValue) }
        released.add(1, ordering: .relaxed)
    }

    var openCount: Int { files.withLock { $0.count } }

    private static func le32(_ b: [UInt8], _ o: Int) -> UInt64 {
        UInt64(b[o]) | UInt64(b[o + 1]) << 8 | UInt64(b[o + 2]) << 16 | UInt64(b[o + 3]) << 24
    }
    private static func le64(_ b: [UInt8], _ o: Int) -> UInt64 { le32(b, o) | le32(b, o + 4) << 32 }
    private static func bytes32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }

    func ioctl(_ request: IoctlRequest, memory: inout some UserMemory) throws(NeedsRound) -> IoctlResult {
        let (file, command, argument, abi) = (request.file, request.command, request.argument, request.abi)
        switch command {
        case 0x8020_6900:
            _ = try memory.fetch(reads: [], writes: [UserRange(address: argument, count: 32)])
            var b = [UInt8](repeating: 0, count: 32)
            b[0] = 1
            return memory.store(b, at: argument) ? .success : .error(.EFAULT)
        case 0xC018_6901 where abi == .lp64, 0xC00C_6901 where abi == .ilp32:
            let size = abi == .lp64 ? 24 : 12
            guard let s = try memory.fetch(reads: [UserRange(address: argument, count: size)], writes: [])[0] else {
                return .error(.EFAULT)
            }
            let iop = Self.le32(s, 0)
            let resbuf = abi == .lp64 ? Self.le64(s, 8) : Self.le32(s, 4)
            let reslen = abi == .lp64 ? Self.le64(s, 16) : Self.le32(s, 8)
            let got = try memory.fetch(reads: [UserRange(address: reslen, count: 4)],
                                       writes: [UserRange(address: reslen, count: 4), UserRange(address: resbuf, count: 16)])
            guard let l = got[0] else { return .error(.EFAULT) }
            if Self.le32(l, 0) < 16 {
                return memory.store(Self.bytes32(16), at: reslen) ? .error(.ENOBUFS) : .error(.EFAULT)
            }
            let hrt = [UInt8(truncatingIfNeeded: iop)] + (0..<15).map { UInt8(0xA0 + $0) }
            guard memory.store(hrt, at: resbuf), memory.store(Self.bytes32(16), at: reslen) else { return .error(.EFAULT) }
            return .success
        case 0x8004_6908:
            let delay = argument
            Thread.detachNewThread { [self] in
                usleep(UInt32(min(delay, 10_000)) * 1000)
                files.withLock { f in
                    guard var one = f[file.rawValue] else { return }
                    one.sequence += 1
                    one.queue.append(Self.bytes32(one.sequence) + [UInt8](repeating: 0x11, count: 100))
                    f[file.rawValue] = one
                }
                observer.eventQueued(for: file)
            }
            return .success
        case 0xC008_6920:
            defer { let r = (memory as? SocketMemory)?.rounds ?? -1; countRounds.withLock { $0.append(r) } }
            let range = UserRange(address: argument, count: 8)
            guard let v = try memory.fetch(reads: [range], writes: [range])[0] else { return .error(.EFAULT) }
            let next = Self.le64(v, 0) &+ 1
            return memory.store((0..<8).map { UInt8(truncatingIfNeeded: next >> (8 * $0)) }, at: argument) ? .success : .error(.EFAULT)
        case 0x8068_690B:
            _ = try memory.fetch(reads: [], writes: [UserRange(address: argument, count: 112)])
            let event = files.withLock { f -> [UInt8]? in
                guard var one = f[file.rawValue], !one.queue.isEmpty else { return nil }
                let e = one.queue.removeFirst()
                f[file.rawValue] = one
                return e + Self.bytes32(UInt32(one.queue.count)) + Self.bytes32(0)
            }
            guard let event else { return .error(.ENOENT) }
            return memory.store(event, at: argument) ? .success : .error(.EFAULT)
        default:
            return .error(.EINVAL)
        }
    }

    func read(_ file: OpenFileID, capacity: Int, by caller: Int32?) -> ReadResult {
        guard capacity >= 104 else { return .error(.EINVAL) }
        return files.withLock { f -> ReadResult in
            guard var one = f[file.rawValue] else { return .error(.EBADF) }
            guard !one.queue.isEmpty else { return .wouldBlock }
            var out: [UInt8] = []
            while let e = one.queue.first, out.count + e.count <= capacity {
                out += e
                one.queue.removeFirst()
            }
            f[file.rawValue] = one
            return .data(out)
        }
    }

    func write(_ file: OpenFileID, count: Int, by caller: Int32?) -> IoctlResult { .error(.EINVAL) }

    func isReadable(_ file: OpenFileID) -> Bool {
        files.withLock { !($0[file.rawValue]?.queue.isEmpty ?? true) }
    }
}
