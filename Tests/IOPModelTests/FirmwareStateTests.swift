import I2OFormats
import IOPModel
import Testing

/// A vendor module the generic IOP knows nothing about: private message 0x0001 adds a volume
/// (class RANDOM_BLOCK_STORAGE at 0x300 + n) that claims the disk, 0x0002 removes the last one,
/// 0x0003 changes a setting the LCT does not show; its clock counts milliseconds.
struct ToyFirmware: IOPFirmware {
    static let organizationID: UInt16 = 0x7777
    var productName: String { "Toy" }
    var volumes = 0
    var setting = 0
    var clock: UInt64 = 0

    func derivedDevices() -> [DeviceDescription] {
        var out = [DeviceDescription(entry: LCTEntry(localTID: 0, classID: .executive, parentTID: .none, userTID: .none)),
                   DeviceDescription(entry: LCTEntry(localTID: 0x200, classID: .scsiPeripheral, parentTID: 0,
                                                     userTID: volumes > 0 ? 0x300 : .none))]
        for n in 0..<volumes {
            out.append(DeviceDescription(entry: LCTEntry(localTID: TID(rawValue: 0x300 + UInt16(n)), classID: .randomBlockStorage,
                                                         parentTID: 0, userTID: .none)))
        }
        return out
    }
    func derivedHRT() -> HRT { HRT(entries: []) }
    var derivedBootDevice: TID { volumes > 0 ? 0x300 : .none }
    func privateMessage(_ x: UInt16, _ request: MessageFrame, memory: BusMemory) throws(RequestFault) -> MessageFrame? {
        var copy = self
        return try copy.handlePrivateMessage(x, request, memory: memory).reply
    }
    mutating func handlePrivateMessage(_ x: UInt16, _ request: MessageFrame, memory: BusMemory) throws(RequestFault) -> FirmwareAnswer {
        switch x {
        case 1: volumes += 1; return FirmwareAnswer(reply: MessageFrame.reply(to: request), configurationChanged: true)
        case 2: volumes -= 1; return FirmwareAnswer(reply: MessageFrame.reply(to: request), configurationChanged: true)
        case 3: setting += 1; return FirmwareAnswer(reply: MessageFrame.reply(to: request), changed: true)
        default: throw RequestFault(.unsupportedFunction)
        }
    }
    mutating func timePassed(milliseconds: UInt64) -> Bool { clock += milliseconds; return false }
}

@Suite struct FirmwareStateTests {
    static func iop() -> IOP {
        let f = ToyFirmware()
        return IOP(IOPDescription(unit: 0, status: StatusBlock(), hrt: f.derivedHRT(), lctChangeIndicator: 3,
                                  devices: f.derivedDevices(), firmware: f))
    }
    static func message(_ x: UInt32) -> MessageFrame {
        MessageFrame(function: .privateMessage, target: 0, payload: [0x7777_0000 | x])
    }

    @Test func aConfigurationChangeReachesTheLCTWithItsEvents() throws {
        var iop = Self.iop()
        let memory = BusMemory()
        _ = iop.post(MessageFrame(function: .utilEventRegister, target: 0, initiatorContext: 1, transactionContext: 2,
                                  payload: [0xFFFF_FFFF]), memory: memory)
        let buffer = memory.map(zeroes: 4096)
        let waiting = MessageFrame(function: .execLctNotify, target: 0, initiatorContext: 5, transactionContext: 6, sglOffset: 6,
                                   payload: [0xFFFF_FFFF, 3, 0xD000_1000, UInt32(buffer)])
        #expect(iop.post(waiting, memory: memory) == nil)                        // waits for a change
        #expect(iop.post(Self.message(1), memory: memory)?.reqStatus == .success)
        // One step for the whole change: the new volume and the disk's new UserTID.
        #expect(iop.lctChangeIndicator == 4)
        #expect(iop.devices[0x300]?.entry.changeIndicator == 4 && iop.devices[0x200]?.entry.userTID == 0x300)
        #expect(iop.devices[0x200]?.entry.changeIndicator == 4 && iop.bootDevice == 0x300)
        let out = iop.takeOutbound()
        #expect(out.filter { $0.function == .utilEventRegister && $0[word: 4] == EventIndicator.newLCTEntry.rawValue }.count == 1)
        #expect(out.filter { $0.function == .utilEventRegister && $0[word: 4] == EventIndicator.modifiedLCT.rawValue }.count == 1)
        #expect(out.contains { $0.function == .execLctNotify && $0.transactionContext == 6 })   // the waiting notify completed
        #expect((iop.firmware as? ToyFirmware)?.volumes == 1)
        // Removal: the entry goes, the disk is free again.
        #expect(iop.post(Self.message(2), memory: memory)?.reqStatus == .success)
        #expect(iop.devices[0x300] == nil && iop.devices[0x200]?.entry.userTID == TID.none && iop.lctChangeIndicator == 5)
        let removed = iop.takeOutbound()
        #expect(removed.filter { $0[word: 4] == EventIndicator.modifiedLCT.rawValue }.count == 2)
    }

    @Test func aSettingChangeKeepsTheModuleButNotTheLCT() throws {
        var iop = Self.iop()
        let memory = BusMemory()
        #expect(iop.post(Self.message(3), memory: memory)?.reqStatus == .success)
        #expect((iop.firmware as? ToyFirmware)?.setting == 1 && iop.lctChangeIndicator == 3)
        #expect(iop.post(Self.message(9), memory: memory)?.detailedStatus == .unsupportedFunction)
        // A copy of the IOP (an engine's attempt) does not share the change.
        let copy = iop
        #expect(iop.post(Self.message(3), memory: memory)?.reqStatus == .success)
        #expect((copy.firmware as? ToyFirmware)?.setting == 1 && (iop.firmware as? ToyFirmware)?.setting == 2)
        var m = Machine(MachineDescription(name: "toy", iops: [iop.snapshot]))
        let visible = m.advanceFirmwareClocks(milliseconds: 1500)
        #expect(!visible)
        #expect((m.iops[0]?.firmware as? ToyFirmware)?.clock == 1500)
    }
}
