import I2OFormats
import Testing
import IOPModel

@Suite struct RoutingTests {
    @Test func unknownTIDIsInvalidTargetAddress() throws {
        var h = Host()
        let (reply, _) = h.params(0x123, OperationList([ParamOperation(code: .fieldGet, group: 0xF100)]).encoded())
        let r = try #require(reply)
        #expect(r.reqStatus == .errorNoDataTransfer)
        #expect(r.detailedStatus == .invalidTargetAddress)
        #expect(r.isReply)
        #expect(r.initiatorContext == 0x11 && r.transactionContext == 0x22)
        #expect(r.target == 0x123)
        #expect(r.function == .utilParamsGet)
    }

    @Test func executiveFunctionToDeviceIsInappropriate() throws {
        var h = Host()
        let r = try h.reply((MessageFrame(function: .execConfigValidate, target: TestMachine.volumeTID)))
        #expect(r.reqStatus == .errorNoDataTransfer)
        #expect(r.detailedStatus == .inappropriateFunction)
    }

    @Test func unimplementedFunctionsAreUnsupported() throws {
        var h = Host()
        for f in [I2OFunction.utilClaim, .utilAbort, I2OFunction(rawValue: 0x77), .privateMessage] {
            let r = try h.reply((MessageFrame(function: f, target: TestMachine.volumeTID, payload: [0, 0])))
            #expect(r.reqStatus == .errorNoDataTransfer)
            #expect(r.detailedStatus == .unsupportedFunction)
        }
        let r = try h.reply((MessageFrame(function: .execIopReset, target: 0)))
        #expect(r.detailedStatus == .unsupportedFunction)
    }

    @Test func nopHasNoReply() {
        var h = Host()
        #expect(h.post(MessageFrame(function: .utilNOP, target: 0)) == nil)
        #expect(h.post(MessageFrame(function: .utilNOP, target: TestMachine.diskTID)) == nil)
        #expect(h.iop.takeOutbound().isEmpty)
    }

    @Test func knownFailureMatchesFunctionAndGroup() throws {
        var h = Host()
        let tid = TestMachine.adapterTID
        let (reply, bytes) = h.params(tid, OperationList([ParamOperation(code: .fieldGet, group: 0xF100)]).encoded())
        let r = try #require(reply)
        #expect(r.reqStatus == .errorPartialTransfer)
        #expect(r.detailedStatus == .unknownError)
        #expect(bytes.isEmpty)
        // The group is one of several operations: still the failure.
        let ops = [ParamOperation(code: .fieldGet, group: 0xF102), ParamOperation(code: .fieldGet, group: 0xF100)]
        #expect(h.params(tid, OperationList(ops).encoded()).reply?.detailedStatus == .unknownError)
        // Another group of the same device works.
        let ok = try h.run(tid, [ParamOperation(code: .fieldGet, group: 0xF102)])
        #expect(ok.reply?.reqStatus == .success)
        #expect(ok.result.blocks.first?.status == .success)
        // ParamsSet is not named by the failure.
        let set = try h.run(tid, [ParamOperation(code: .fieldSet, group: 0xF100, fields: .indices([3]),
                                                 values: [UInt8](repeating: 0x41, count: 16))], set: true)
        #expect(set.reply?.reqStatus == .success)
        #expect(set.result.blocks.first?.status == .fieldUnwriteable)
    }

    @Test func knownFailureWithoutGroupAppliesToOtherFunctions() throws {
        var d = TestMachine.description
        d.devices[2].failures = [KnownFailure(function: nil, group: nil, reqStatus: .errorDirty, detailedStatus: .deviceBusy)]
        var iop = IOP(d)
        let memory = BusMemory()
        let buf = memory.map(zeroes: 64)
        let f = MessageFrame(function: .utilConfigDialog, target: TestMachine.diskTID, sglOffset: 5,
                             payload: [0, 0xD000_0000 | 64, UInt32(buf)])
        let reply = iop.post(f, memory: memory)
        let r = try #require(reply)
        #expect(r.reqStatus == .errorDirty)
        #expect(r.detailedStatus == .deviceBusy)
    }

    @Test func malformedFramesGetFailingReplies() throws {
        var h = Host()
        let op = OperationList([ParamOperation(code: .fieldGet, group: 0xF100)]).encoded()
        // Result buffer at an unmapped bus address.
        var payload: [UInt32] = [0, 0x4C00_0000 | UInt32(op.count)] + Host.words(op) + [0xD000_0000 | 4096, 0x0DEA_D000]
        var f = MessageFrame(function: .utilParamsGet, target: TestMachine.volumeTID, sglOffset: 5, payload: payload)
        var r = try h.reply((f))
        #expect(r.reqStatus == .errorNoDataTransfer && r.detailedStatus == .invalidParameter)
        // Operation list at an unmapped address (2.4 style).
        payload = [0, 0x5400_0000 | UInt32(op.count), 0x0BAD_0000, 0xD000_0000 | 64, UInt32(h.memory.map(zeroes: 64))]
        f = MessageFrame(function: .utilParamsGet, target: TestMachine.volumeTID, sglOffset: 5, payload: payload)
        r = try h.reply((f))
        #expect(r.detailedStatus == .invalidParameter)
        // No SGL at all.
        f = MessageFrame(function: .utilParamsGet, target: TestMachine.volumeTID, payload: [0])
        r = try h.reply((f))
        #expect(r.reqStatus == .errorNoDataTransfer && r.detailedStatus == .missingParameter)
        // Only one SGL element.
        f = MessageFrame(function: .utilParamsGet, target: TestMachine.volumeTID, sglOffset: 5,
                         payload: [0, 0xCC00_0000 | UInt32(op.count)] + Host.words(op))
        r = try h.reply((f))
        #expect(r.detailedStatus == .missingParameter)
        // An SGL element type the IOP does not take (chain pointer 0x30).
        f = MessageFrame(function: .utilParamsGet, target: TestMachine.volumeTID, sglOffset: 5,
                         payload: [0, 0x3000_0010, 0x1000])
        r = try h.reply((f))
        #expect(r.detailedStatus == .invalidParameter)
        // An SGL cut short by MessageSize.
        f = MessageFrame(function: .utilParamsGet, target: TestMachine.volumeTID, sglOffset: 5,
                         payload: [0, 0x4C00_0040, 1, 2])
        r = try h.reply((f))
        #expect(r.detailedStatus == .invalidParameter)
        // Frames shorter than their function needs.
        r = try h.reply((MessageFrame(function: .execSwDownload, target: 0, payload: [1])))
        #expect(r.detailedStatus == .messageTooSmall)
        r = try h.reply((MessageFrame(function: .execStatusGet, target: 0)))
        #expect(r.detailedStatus == .messageTooSmall)
        // A list too short for its header.
        let (reply, _) = h.params(TestMachine.volumeTID, [1])
        #expect(reply?.detailedStatus == .invalidParameter)
        // The IOP still works afterwards.
        #expect(try h.fieldGet(TestMachine.volumeTID, 0xF100)?.status == .success)
    }

    @Test func snapshotKeepsChangedState() throws {
        var h = Host()
        var name = FixedText.encode("vol0", width: 64)
        _ = try h.run(TestMachine.volumeTID, [ParamOperation(code: .fieldSet, group: 0xF102, fields: .indices([0]), values: name)], set: true)
        let again = IOP(h.iop.snapshot)
        name = Array(try #require(again.parameterGroup(0xF102, of: TestMachine.volumeTID)).rows[0][0..<64])
        #expect(FixedText.decode(name) == "vol0")
        #expect(again.order == [0, 0x008, 0x010, 0x205])
    }
}
