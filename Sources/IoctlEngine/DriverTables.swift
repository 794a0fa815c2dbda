import I2OFormats
import IOPModel

/// The HRT and LCT a kernel's driver read from an IOP when it brought the IOP up (docs/kernels.md
/// §HRTGET, §LCTGET). The kernels' HRTGET and LCTGET copy these and never ask the IOP, so a failed
/// or hung IOP still answers them. The HRT is read once. The LCT follows the IOP's changes: the
/// driver keeps an ExecLctNotify posted, which the IOP completes when its LCT changes, and the
/// driver then reads the new table — here, an LCTGET that finds the IOP's change indicator moved
/// reads it again, as the driver, unless the IOP does not answer (a failed or hung IOP keeps the
/// driver's old copy).
struct DriverTables: Sendable {
    var hrt: [UInt8]
    var lct: [UInt8]
    /// The IOP's CurrentChangeIndicator when `lct` was read.
    var lctChangeIndicator: UInt32
}

extension EngineState {
    /// Reads every IOP's tables as a kernel's driver does at initialisation (the machine is new).
    mutating func loadDriverTables() {
        driverTables = [:]
        for unit in machine.units { _ = driverTables(of: unit) }
    }

    /// The driver's copy of `function`'s table (ExecHrtGet: the HRT, ExecLctNotify: the LCT) for
    /// IOP `unit`, the LCT refreshed when the IOP's changed.
    mutating func driverTable(_ function: I2OFunction, unit: IOPUnit) -> TableRead {
        guard var tables = driverTables(of: unit) else { return .failed(.ETIMEDOUT) }
        if function == .execHrtGet { return .bytes(tables.hrt) }
        if let indicator = machine.withIOP(unit, \.lctChangeIndicator), indicator != tables.lctChangeIndicator,
           case let .bytes(lct) = readTable(.execLctNotify, unit: unit, capacity: 1 << 16, for: nil, byDriver: true) {
            tables.lct = lct
            tables.lctChangeIndicator = indicator
            driverTables[unit] = tables
        }
        return .bytes(tables.lct)
    }

    /// IOP `unit`'s tables, read now when the driver has none yet (an IOP that came with a
    /// replaced machine). nil when the IOP does not answer.
    private mutating func driverTables(of unit: IOPUnit) -> DriverTables? {
        if let t = driverTables[unit] { return t }
        guard let indicator = machine.withIOP(unit, \.lctChangeIndicator),
              case let .bytes(hrt) = readTable(.execHrtGet, unit: unit, capacity: 1 << 16, for: nil, byDriver: true),
              case let .bytes(lct) = readTable(.execLctNotify, unit: unit, capacity: 1 << 16, for: nil, byDriver: true)
        else { return nil }
        let tables = DriverTables(hrt: Self.asTheDriverKeepsIt(hrt: hrt), lct: lct, lctChangeIndicator: indicator)
        driverTables[unit] = tables
        return tables
    }

    /// The kernels' HRT buffer starts as `sizeof(i2o_hrt)` — the 8-byte header and one 4-word
    /// entry, 24 bytes — and is reallocated to NumberEntries × EntryLength words when the IOP
    /// reports more, forgetting the header; the IOP's write stops at the buffer's end, and HRTGET
    /// then copies the whole length, the last bytes unwritten (docs/kernels.md §HRTGET: with two
    /// 4-word entries or more, the last 8). Those bytes are `KernelLimits.unwrittenFill`.
    static func asTheDriverKeepsIt(hrt: [UInt8]) -> [UInt8] {
        guard hrt.count >= 8 else { return hrt }
        let size = (Int(hrt[0]) | Int(hrt[1]) << 8) * Int(hrt[2]) * 4
        let buffer = max(24, size)
        guard hrt.count > buffer else { return hrt }
        var kept = hrt
        for i in buffer..<hrt.count { kept[i] = KernelLimits.unwrittenFill }
        return kept
    }
}
