import BlockStorage
import I2OFormats
import Testing
@testable import IOPModel

/// A host of the test IOP whose volume 0x205 holds data: a 2,048-block disk in memory.
private struct BlockHost {
    var host = Host()
    let disk = Disk(medium: MemoryMedium(blockCount: 2048))
    let cache: WriteCache
    let device: BlockDevice
    init(mode: WriteCache.Mode = .writeThrough, removable: Bool = false) {
        cache = WriteCache(disk, mode: mode)
        device = BlockDevice(cache, removable: removable)
        host.iop.attach(device, to: TestMachine.volumeTID)
    }

    /// BsaBlockRead/Write as Linux's i2o_block sends it: flags, byte count, byte address, SGL at word 8.
    mutating func transfer(_ f: I2OFunction, at byte: UInt64, count: UInt32, data: [UInt8] = [], flags: UInt16 = 0,
                           elements: [Int]? = nil) -> (reply: MessageFrame, bytes: [UInt8]) {
        let t = BsaTransfer(controlFlags: flags, timeMultiplier: 0x1F, byteCount: count, byteAddress: byte)
        let sizes = elements ?? [Int(count)]
        var sgl: [UInt32] = [], addresses: [UInt64] = [], at = 0
        for (i, n) in sizes.enumerated() {
            let out = f != .bsaBlockRead
            let a = out ? host.memory.map(Array(data[at..<min(at + n, data.count)]) + [UInt8](repeating: 0, count: max(0, at + n - data.count)))
                        : host.memory.map(zeroes: n)
            at += n
            let last = i == sizes.count - 1
            let flags: SGLFlags = out ? (last ? .simpleLastOut : .simpleOut) : (last ? .simpleLastIn : .simpleIn)
            sgl += [flags.word(count: n), UInt32(a)]; addresses.append(a)
        }
        let frame = MessageFrame(function: f, target: TestMachine.volumeTID, initiatorContext: 1, transactionContext: 2,
                                 sglOffset: 8, payload: t.words + sgl)
        let reply = host.iop.post(frame, memory: host.memory)!
        let bytes = addresses.flatMap { host.memory.buffer(at: $0) ?? [] }
        return (reply, bytes)
    }

    mutating func simple(_ f: I2OFunction, _ payload: [UInt32] = [0xFFFF_FFFF]) -> MessageFrame {
        host.iop.post(MessageFrame(function: f, target: TestMachine.volumeTID, payload: payload), memory: host.memory)!
    }
}

private func bytes(_ n: Int, seed: UInt8) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: $0 * 7 + Int(seed)) } }

@Suite struct BlockStorageClassTests {
    @Test func writeThenReadMovesTheBytesAndReportsTheCount() throws {
        var h = BlockHost()
        let data = bytes(65536, seed: 3)
        let w = h.transfer(.bsaBlockWrite, at: 512 * 100, count: 65536, data: data, flags: 0x0010)
        #expect(w.reply.reqStatus == .success && w.reply[word: 5] == 65536)
        let r = h.transfer(.bsaBlockRead, at: 512 * 100, count: 65536)
        #expect(r.reply.reqStatus == .success && r.reply[word: 5] == 65536)
        #expect(r.bytes == data)
        #expect(try h.disk.read(100, blocks: 128) == data, "the bytes are on the disk")
    }

    @Test func scatterGatherAcrossSeveralElements() throws {
        var h = BlockHost()
        let data = bytes(4096, seed: 9)
        #expect(h.transfer(.bsaBlockWrite, at: 0, count: 4096, data: data, elements: [1000, 3096]).reply.reqStatus == .success)
        let r = h.transfer(.bsaBlockRead, at: 0, count: 4096, elements: [512, 512, 3072])
        #expect(r.bytes == data)
    }

    @Test func badTransfersAreRefusedAndChangeNothing() throws {
        var h = BlockHost()
        let past = h.transfer(.bsaBlockWrite, at: 512 * 2047, count: 1024, data: bytes(1024, seed: 1))
        #expect(past.reply.reqStatus == .errorNoDataTransfer && past.reply.detailedStatus.rawValue == BsaStatus.accessViolation.rawValue)
        #expect(past.reply[word: 5] == 0 && past.reply[word: 6] == 512 * 2047)
        let misaligned = h.transfer(.bsaBlockWrite, at: 100, count: 512, data: bytes(512, seed: 1))
        #expect(misaligned.reply.detailedStatus.rawValue == BsaStatus.protocolFailure.rawValue)
        let short = h.transfer(.bsaBlockWrite, at: 0, count: 4096, data: bytes(4096, seed: 1), elements: [1024])
        #expect(short.reply.reqStatus == .errorNoDataTransfer && short.reply.detailedStatus.rawValue == BsaStatus.protocolFailure.rawValue)
        let huge = h.transfer(.bsaBlockRead, at: 0, count: 0xFFFF_FE00, elements: [512])
        #expect(huge.reply.reqStatus == .errorNoDataTransfer)
        #expect(try h.disk.read(0, blocks: 2048).allSatisfy { $0 == 0 }, "nothing was written")
        let zero = h.transfer(.bsaBlockRead, at: 0, count: 0, elements: [512])
        #expect(zero.reply.reqStatus == .success && zero.reply[word: 5] == 0)
        let tiny = h.host.iop.post(MessageFrame(function: .bsaBlockRead, target: TestMachine.volumeTID, payload: [0, 512]), memory: h.host.memory)!
        #expect(tiny.reqStatus == .errorNoDataTransfer && tiny.detailedStatus == .messageTooSmall)
    }

    @Test func aMediaErrorDeliversTheBlocksBeforeItAndNamesWhere() throws {
        var h = BlockHost()
        let data = bytes(8192, seed: 5)
        _ = h.transfer(.bsaBlockWrite, at: 0, count: 8192, data: data)
        h.disk.injectMediaError(10..<11)
        let r = h.transfer(.bsaBlockRead, at: 0, count: 8192)
        #expect(r.reply.reqStatus == .errorPartialTransfer && r.reply.detailedStatus.rawValue == BsaStatus.mediaError.rawValue)
        #expect(r.reply[word: 5] == 5120 && r.reply[word: 6] == 5120)
        #expect(Array(r.bytes.prefix(5120)) == Array(data.prefix(5120)))
        // MediaVerify finds it too; reassigning the block makes it answer (zeros) again.
        let v = h.simple(.bsaMediaVerify, BsaTransfer(byteCount: 8192, byteAddress: 0).words)
        #expect(v.detailedStatus.rawValue == BsaStatus.mediaError.rawValue && v[word: 6] == 5120)
        #expect(h.simple(.bsaBlockReassign, BsaTransfer(byteCount: 512, byteAddress: 5120).words).reqStatus == .success)
        #expect(h.simple(.bsaMediaVerify, BsaTransfer(byteCount: 8192, byteAddress: 0).words).reqStatus == .success)
    }

    @Test func aFailedDiskIsNotReady() throws {
        var h = BlockHost()
        h.disk.isFailed = true
        let r = h.transfer(.bsaBlockRead, at: 0, count: 512)
        #expect(r.reply.reqStatus == .errorNoDataTransfer && r.reply.detailedStatus.rawValue == BsaStatus.deviceNotReady.rawValue)
        #expect(h.simple(.bsaStatusCheck, []).detailedStatus.rawValue == BsaStatus.deviceNotReady.rawValue)
    }

    @Test func writeBackDataReachesTheDiskOnCacheFlush() throws {
        var h = BlockHost(mode: .writeBack)
        let data = bytes(1024, seed: 7)
        _ = h.transfer(.bsaBlockWrite, at: 0, count: 1024, data: data, flags: 0x0010)
        #expect(try h.disk.read(0, blocks: 2).allSatisfy { $0 == 0 }, "still in the cache")
        #expect(h.transfer(.bsaBlockRead, at: 0, count: 1024).bytes == data, "reads see the cache")
        #expect(h.simple(.bsaCacheFlush, [60 << 16]).reqStatus == .success)
        #expect(try h.disk.read(0, blocks: 2) == data)
        // A write-through request goes to the disk at once even in write-back mode.
        _ = h.transfer(.bsaBlockWrite, at: 4096, count: 512, data: bytes(512, seed: 8), flags: 0x0008)
        #expect(try h.disk.read(8, blocks: 1) == bytes(512, seed: 8))
    }

    @Test func mediaLockEjectAndPower() throws {
        var fixed = BlockHost()
        #expect(fixed.simple(.bsaMediaEject).detailedStatus.rawValue == BsaStatus.accessError.rawValue)
        var h = BlockHost(removable: true)
        #expect(h.simple(.bsaMediaLock).reqStatus == .success && h.device.isLocked)
        #expect(h.simple(.bsaMediaEject).detailedStatus.rawValue == BsaStatus.mediaLocked.rawValue)
        #expect(h.simple(.bsaMediaUnlock).reqStatus == .success && !h.device.isLocked)
        #expect(h.simple(.bsaMediaEject).reqStatus == .success && !h.device.isMounted)
        #expect(h.transfer(.bsaBlockRead, at: 0, count: 512).reply.detailedStatus.rawValue == BsaStatus.mediaNotPresent.rawValue)
        #expect(h.simple(.bsaMediaMount, [0xFFFF_FFFF, 0]).reqStatus == .success && h.device.isMounted)
        // Linux's power frame: MessageSize 4, the operation written in word 4 bits 24–31 anyway.
        _ = h.host.iop.post(MessageFrame(words: [0x0004_0001, 0x7000_1205, 0, 0, 0x2400_0000]), memory: h.host.memory)
        #expect(h.device.power == 0x24)
        // The specification's: operation in word 5.
        #expect(h.simple(.bsaPowerMgt, [0, 0x02]).reqStatus == .success && h.device.power == 0x02)
    }

    @Test func aDeviceWithoutDataStillAnswersUnsupported() throws {
        var h = Host()
        let r = h.iop.post(MessageFrame(function: .bsaBlockRead, target: TestMachine.volumeTID, payload: [0, 0, 0, 0]), memory: h.memory)!
        #expect(r.reqStatus == .errorNoDataTransfer && r.detailedStatus == .unsupportedFunction)
    }
}

@Suite struct BlockStorageGroupTests {
    /// The test IOP with the volume 0x205 a mirror of two 4,096-block disks (0x010 and 0x011).
    static func host(writeBack: Bool = false) -> Host {
        var d = TestMachine.description
        d.devices[2].blockStorage = .disk(DiskStorage(name: "a", blocks: 4096))
        d.devices.append(DeviceDescription(entry: LCTEntry(localTID: 0x011, classID: .randomBlockStorage, parentTID: TestMachine.adapterTID,
                                                           userTID: TestMachine.volumeTID),
                                           blockStorage: .disk(DiskStorage(name: "b", blocks: 4096))))
        d.devices[3].blockStorage = .volume(VolumeStorage(level: .raid1, members: [0x010, 0x011], blocks: 4000, writeBack: writeBack))
        var h = Host()
        h.iop = IOP(d)
        return h
    }

    static func field(_ h: inout Host, _ group: UInt16) -> [UInt8] {
        let (reply, bytes) = h.params(TestMachine.volumeTID, OperationList([ParamOperation(code: .fieldGet, group: group)]).encoded())
        #expect(reply?.reqStatus == .success)
        return Array(bytes.dropFirst(8))
    }

    @Test func deviceAndMediaInformationReportTheGeometry() throws {
        var h = Self.host()
        let info = Self.field(&h, 0x0000)
        #expect(info.count >= 24)
        #expect(info.readLE32(at: 4) == 512 && info.readLE64(at: 8) == 4000 * 512, "block size, capacity in bytes")
        #expect(info.readLE32(at: 16) & 0x400 != 0, "a RAID volume")
        #expect(info.readLE32(at: 20) & 0x04 != 0, "ready")
        let media = Self.field(&h, 0x0004)
        #expect(media.readLE64(at: 0) == 4000 * 512 && media.readLE32(at: 8) == 512)
        // Both members failed: the drive is dead, no longer ready.
        (h.iop.blockDevices[0x010]!.target as! Disk).isFailed = true
        (h.iop.blockDevices[0x011]!.target as! Disk).isFailed = true
        #expect(Self.field(&h, 0x0000).readLE32(at: 20) & 0x04 == 0)
    }

    @Test func settingWritePolicySwitchesTheCache() throws {
        var h = Self.host()
        #expect(Self.field(&h, 0x0003)[12] == 0x02, "write-through")
        let set = OperationList([ParamOperation(code: .fieldSet, group: 0x0003, fields: .indices([3]), values: [0x01])]).encoded()
        let (reply, _) = h.params(TestMachine.volumeTID, set, set: true)
        #expect(reply?.reqStatus == .success)
        let cache = try #require(h.iop.blockDevices[TestMachine.volumeTID]?.target as? WriteCache)
        #expect(cache.mode == .writeBack)
        #expect(Self.field(&h, 0x0003)[12] == 0x01)
        guard case let .volume(v)? = h.iop.snapshot.devices.first(where: { $0.tid == TestMachine.volumeTID })?.blockStorage else {
            Issue.record("no volume storage in the snapshot"); return
        }
        #expect(v.writeBack, "the snapshot keeps the mode")
        #expect(Self.field(&h, 0x0000).readLE32(at: 20) & 0x01 != 0, "DeviceState shows caching")
    }
}
