import I2OFormats
import Synchronization

/// The events the front end has read (I2OEVTGET), numbered, the last `capacity` kept, and the
/// (iop, tid) pairs it registered for (I2OEVTREG, every indicator).
final class EventLog: Sendable {
    struct Entry: Sendable { var seq: Int; var text: String }
    struct JSONEvent: Codable { var seq: Int; var text: String }
    static let capacity = 200
    private let state = Mutex<(entries: [Entry], next: Int, registered: Set<UInt64>)>(([], 1, []))

    /// Registers for the events of every device of `iops` not registered yet.
    func register(_ iops: [IOPView], with device: DeviceClient) {
        for v in iops {
            for tid in [TID.executive] + (v.lct?.entries.map(\.localTID) ?? []) {
                let key = UInt64(v.unit) << 16 | UInt64(tid.rawValue)
                guard state.withLock({ $0.registered.insert(key).inserted }) else { continue }
                if (try? device.registerEvents(iop: v.unit, tid: UInt32(tid.rawValue), mask: 0xFFFF_FFFF)) == nil {
                    _ = state.withLock { $0.registered.remove(key) }
                }
            }
        }
    }

    /// Reads every queued event.
    func drain(_ device: DeviceClient) {
        for _ in 0..<64 {
            guard let got = try? device.nextEvent() else { return }
            let text = Self.describe(got.info) + (got.lost > 0 ? " (\(got.lost) lost before it)" : "")
            state.withLock { s in
                s.entries.append(Entry(seq: s.next, text: text))
                s.next += 1
                if s.entries.count > Self.capacity { s.entries.removeFirst(s.entries.count - Self.capacity) }
            }
        }
    }

    func since(_ seq: Int) -> [Entry] { state.withLock { $0.entries.filter { $0.seq > seq } } }

    static let names: [(UInt32, String)] = [
        (0x8000_0000, "STATE_CHANGE"), (0x4000_0000, "GENERAL_WARNING"), (0x2000_0000, "CONFIGURATION_FLAG"),
        (0x1000_0000, "LOCK_RELEASE"), (0x0800_0000, "CAPABILITY_CHANGE"), (0x0400_0000, "DEVICE_RESET"),
        (0x0200_0000, "EVENT_MASK_MODIFIED"), (0x0100_0000, "FIELD_MODIFIED"), (0x0080_0000, "VENDOR_EVENT"),
        (0x0040_0000, "DEVICE_STATE"), (0x001, "RESOURCE_LIMITS"), (0x002, "CONNECTION_FAIL"), (0x004, "ADAPTER_FAULT"),
        (0x008, "POWER_FAIL"), (0x010, "RESET_PENDING"), (0x020, "RESET_IMMINENT"), (0x040, "HARDWARE_FAIL"),
        (0x080, "XCT_CHANGE"), (0x100, "NEW_LCT_ENTRY"), (0x200, "MODIFIED_LCT"), (0x400, "DDM_AVAILABILITY"),
    ]

    /// `IOP 0 TID 0x203 FIELD_MODIFIED group 0xF102 field 0`.
    static func describe(_ e: EventInfo) -> String {
        let m = e.id.eventMask
        let which = names.filter { m & $0.0 != 0 }.map(\.1)
        var text = "IOP \(e.id.iop) TID \(hex(e.id.tid, width: 3)) \(which.isEmpty ? hex(m, width: 8) : which.joined(separator: "|"))"
        if m & 0x0100_0000 != 0, e.data.count >= 4 {
            let field = e.data.readLE16(at: 2)
            text += " group \(hex(e.data.readLE16(at: 0), width: 4))" + (field == 0xFFFF ? "" : " field \(field)")
        } else if !e.data.isEmpty {
            text += " data " + e.data.prefix(16).map { String(hex($0, width: 2).dropFirst(2)) }.joined(separator: " ")
        }
        return text
    }
}
