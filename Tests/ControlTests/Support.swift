import I2OABI
import I2ODevice
import EngineTestSupport
import Fixtures
import Foundation
import I2OFormats
import IOPModel
import IoctlEngine
import Faults
import Persistence
import Simulator

enum T {
    static func defaultMachine() throws -> MachineDescription { try FixtureLoader.loadDefault() }

    /// The default machine, its waits scaled to a hundredth (a failed IOP's PARMGET waits 0.1 s).
    static func engine(timeoutScale: Double = 0.01) throws -> Simulator {
        Simulator(machine: Machine(try defaultMachine()), timeoutScale: timeoutScale)
    }

    /// GETIOPS: the 32 bytes, or the errno.
    static func getIOPs(_ e: some ControlNode, _ file: OpenFileID) throws -> (IoctlResult, [UInt8]) {
        var m = FakeUserMemory()
        let a = m.place(zeroes: 32)
        let r = try e.ioctl(file, command: IoctlCommand(.getIOPs, abi: .lp64).number, argument: a, abi: .lp64, memory: &m)
        return (r, m.read(a, 32) ?? [])
    }

    /// PARMGET/PARMSET of `ops` on (iop, tid): the result and the result list.
    static func params(_ e: some ControlNode, _ file: OpenFileID, set: Bool = false, iop: UInt32 = 0, tid: UInt32,
                       ops: [UInt8]) throws -> (IoctlResult, [UInt8]) {
        var m = FakeUserMemory()
        let opbuf = m.place(ops)
        let resbuf = m.place(zeroes: 65536)
        var len = [UInt8](); len.appendLE32(4096)
        let reslen = m.place(len)
        var s = [UInt8]()
        s.appendLE32(iop); s.appendLE32(tid); s.appendLE64(opbuf); s.appendLE32(UInt32(ops.count)); s.appendLE32(0)
        s.appendLE64(resbuf); s.appendLE64(reslen)
        let arg = m.place(s)
        let kind: IoctlCommand.Kind = set ? .parmSet : .parmGet
        let r = try e.ioctl(file, command: IoctlCommand(kind, abi: .lp64).number, argument: arg, abi: .lp64, memory: &m)
        let n = Int(m.read(reslen, 4)?.readLE32(at: 0) ?? 0)
        return (r, m.read(resbuf, min(n, 65536)) ?? [])
    }

    /// One FIELD_GET of all fields of `group`.
    static func fieldGet(_ group: UInt16) -> [UInt8] {
        OperationList([ParamOperation(code: .fieldGet, group: group)]).encoded()
    }

    /// EVTREG for (iop, tid, mask).
    static func register(_ e: some ControlNode, _ file: OpenFileID, tid: UInt32, mask: UInt32) throws -> IoctlResult {
        var m = FakeUserMemory()
        var s = [UInt8](); s.appendLE32(0); s.appendLE32(tid); s.appendLE32(mask)
        let arg = m.place(s)
        return try e.ioctl(file, command: IoctlCommand(.eventRegister, abi: .lp64).number, argument: arg, abi: .lp64, memory: &m)
    }

    /// The default machine keeping its state in `dir` (a state directory of its own).
    static func simulatorKeepingState(in dir: String) throws -> (Simulator, StateDirectory) {
        let base = try defaultMachine()
        let state = try StateDirectory(path: dir, baseline: base)
        let simulator = Simulator(machine: Machine(base))
        simulator.attachState(state)
        return (simulator, state)
    }

    /// A fresh directory under $TMPDIR; `defer { T.remove(dir) }` after it, so no test leaves one behind.
    static func tempDir() -> String {
        let p = NSTemporaryDirectory() + "i2osim-ctl-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
        return p
    }

    static func remove(_ dir: String) { try? FileManager.default.removeItem(atPath: dir) }
}
