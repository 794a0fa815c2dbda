import DPTFirmware
import I2OFormats
import IOPModel

/// The `dpt` target: the DPT firmware's SCSI front end (every management page and command) fed
/// random commands. Input: records of `selector, CDB length (1…16), CDB, u16 LE data length,
/// data`; selector 0 = the controller, 1…6 a disk, 0x80 | n the n-th LSU, 0xFF = the clock moves
/// on by (CDB length) seconds. After every command the controller must be consistent
/// (`problems()` empty, LCT TIDs unique) and a refused command (CHECK CONDITION) must have
/// changed nothing.
enum DPTFuzz {
    static let base: DPTController = {
        let at: [(UInt8, UInt8)] = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]
        return DPTController(buses: [DPTBus(), DPTBus()], disks: at.map {
            DPTDisk(vendor: "SEAGATE", product: "ST336753LW", blocks: 35003 * 2048, bus: $0.0, id: $0.1)
        }, arrays: [DPTArray(level: 1, members: [0, 1])])
    }()

    static func run(_ data: [UInt8]) {
        var c = base
        var i = 0, n = 0
        while i + 2 <= data.count, n < 64 {
            n += 1
            let selector = data[i], cdbLength = Int(data[i + 1])
            i += 2
            if selector == 0xFF { _ = c.timePassed(milliseconds: UInt64(cdbLength) * 1000); check(c); continue }
            let cdb = Array(data[i..<min(data.count, i + min(cdbLength, 16))])
            i += min(cdbLength, 16)
            guard i + 2 <= data.count else { break }
            let length = Int(data[i]) | Int(data[i + 1]) << 8
            i += 2
            let out = Array(data[i..<min(data.count, i + length)])
            i += length
            let target: DPTTarget = selector == 0 ? .controller
                : selector & 0x80 != 0 ? (c.arrays.indices.contains(Int(selector & 0x7F)) ? c.target(of: c.arrayTID(Int(selector & 0x7F))) : .other)
                : .disk(Int(selector - 1) % c.disks.count)
            let before = c
            let result = c.execute(cdb, to: target, interpret: true, physical: true, dataOut: out)
            if case .checkCondition = result, c != before { fatalError("a refused command changed the controller: \(cdb)") }
            check(c)
        }
    }

    static func check(_ c: DPTController) {
        if let p = c.problems().first { fatalError("inconsistent controller: \(p)") }
        let tids = c.derivedDevices().map(\.tid)
        if Set(tids).count != tids.count { fatalError("duplicate TIDs in the derived LCT: \(tids)") }
    }

    /// Seeds: raidutil's commands as the management tests send them.
    static var seeds: [[UInt8]] {
        func record(_ selector: UInt8, _ cdb: [UInt8], _ out: [UInt8]) -> [UInt8] {
            [selector, UInt8(cdb.count)] + cdb + [UInt8(out.count & 0xFF), UInt8(out.count >> 8)] + out
        }
        func hex(_ s: String) -> [UInt8] {
            let u = Array(s.utf8)
            return stride(from: 0, to: u.count - 1, by: 2).compactMap { UInt8(String(decoding: u[$0..<$0 + 2], as: UTF8.self), radix: 16) }
        }
        let select10: [UInt8] = [0x55, 0x11, 0, 0, 0, 0, 0, 0, 0x5A, 0]
        let raid1 = hex("000000000000000030508001000257cd97390445d78002000230000000000000000000000000311800140000000000021b0002000445d7800000000000800000311800140100000000001b0100000445d7800000000000800000")
        let spare = hex("0000000000000000303680fe0101598b68660445d78002000000000000000000000000000000311800140100000000001b0100000445d7800000000000800000")
        let pap = [0, 0, 0, 0, 0x2A, 0xF0, 0x00, 0x83] + [UInt8](repeating: 0, count: 238)
        let verify = hex("000000000000000030508b0100022b0000010445c80000000000000000000000000000000000311800140000000000001b000000000000000000000000000000311800140000000000011b000100000000000000000000000000")
        return [
            record(3, select10, raid1) + [0xFF, 60] + record(0x81, [0x5A, 0x08, 0x30, 0, 0, 0, 0, 1, 0, 0], []),
            record(4, select10, spare) + record(0, [0x15, 0x11, 0, 0, 0xF6, 0], pap) + [0xFF, 200],
            record(0x80, select10, verify) + record(0x80, select10, verify.replacing(at: 10, with: 0x84)),
            record(0, [0x15, 0x11, 0, 0, 12, 0], hex("000000002f0600006b163818")) + record(0, [0x4D, 0, 0x34, 0, 0, 0, 0, 0, 0xFF, 0], []),
        ]
    }
}

extension Array where Element == UInt8 {
    func replacing(at i: Int, with b: UInt8) -> [UInt8] { var c = self; c[i] = b; return c }
}
