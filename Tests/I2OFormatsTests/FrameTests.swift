import Testing
@testable import I2OFormats

@Suite struct MessageFrameTests {
    @Test func headerFieldsPackAsTheReferenceSays() {
        // SWDL as Linux builds it (docs/kernels.md §Frames): 0x00090071, 0xA9001000.
        var f = MessageFrame(function: .execSwDownload, target: .executive, initiator: .host,
                             sglOffset: 7, payload: [0, 0, 0, 0, 0])
        #expect(f.words[0] == 0x0009_0071)
        #expect(f.words[1] == 0xA900_1000)
        f.target = 0x205
        #expect(f.words[1] == 0xA900_1205)
        #expect(f.function == .execSwDownload)
        #expect(f.initiator == .host)
        #expect(f.messageSize == 9)
    }

    @Test func roundTripsThroughBytes() throws {
        let f = MessageFrame(function: .utilParamsGet, target: 0x008, initiatorContext: 0x1111_1111,
                             transactionContext: 0x2222_2222, sglOffset: 5, payload: [0, 0x4C00_0008, 1, 2])
        let bytes = f.encoded()
        #expect(bytes.count == 32)
        #expect(Array(bytes[0..<4]) == [0x51, 0x00, 0x08, 0x00])
        #expect(try MessageFrame.decode(bytes) == f)
        // Extra bytes after the declared size are ignored, as in an inbound frame.
        #expect(try MessageFrame.decode(bytes + [9, 9, 9, 9]) == f)
    }

    @Test func malformedFramesGiveTypedErrors() {
        #expect(throws: I2OFormatError.truncated(what: "message frame", needed: 4, available: 2)) {
            try MessageFrame.decode([1, 2])
        }
        // MessageSize 8 words but only 16 bytes present.
        #expect(throws: I2OFormatError.truncated(what: "message frame of 8 words", needed: 32, available: 16)) {
            try MessageFrame.decode([0x01, 0, 8, 0] + [UInt8](repeating: 0, count: 12))
        }
        #expect(throws: I2OFormatError.self) { try MessageFrame.decode([0x01, 0, 2, 0, 0, 0, 0, 0]) }
        // SGL offset beyond the frame.
        #expect(throws: I2OFormatError.self) { try MessageFrame.decode([0xF1, 0, 4, 0] + [UInt8](repeating: 0, count: 12)) }
    }

    @Test func repliesCarryStatusAndContexts() {
        let req = MessageFrame(function: .utilConfigDialog, target: 0x205, initiatorContext: 7, transactionContext: 9)
        let r = MessageFrame.reply(to: req, status: .errorNoDataTransfer, detail: .noSuchPage, payload: [42])
        #expect(r.isReply)
        #expect(r.reqStatus == .errorNoDataTransfer)
        #expect(r.detailedStatus == .noSuchPage)
        #expect(r.words[4] == 0x0500_0005)
        #expect(r.initiatorContext == 7 && r.transactionContext == 9)
        #expect(r.messageSize == 6)
        #expect(r[word: 5] == 42)
    }
}

@Suite struct SGLTests {
    @Test func simple32BitElementsRoundTrip() throws {
        let sgl = SGL(elements: [
            .simple(flags: .simpleOut, count: 12, address: 0x1000),
            .simple(flags: .simpleLastIn, count: 65536, address: 0x2000),
        ])
        let words = sgl.encoded()
        #expect(words == [0x5400_000C, 0x1000, 0xD001_0000, 0x2000])
        #expect(try SGL.decode(words: words) == sgl)
    }

    @Test func immediateDataAsLinux2618SendsTheOperationList() throws {
        // PARMGET frame: w5 = 0x4C000000 | oplen, then the list padded to a word.
        let op: [UInt8] = [1, 0, 0, 0, 1, 0, 0, 0xF1, 0xFF, 0xFF]
        let words: [UInt32] = [0x4C00_000A] + { var p = op; p.padToWord(); return try! p.littleEndianWords(what: "t") }()
            + [0xD000_0100, 0x3000]
        let sgl = try SGL.decode(words: words)
        #expect(sgl.elements.count == 2)
        #expect(sgl.elements[0] == .immediate(flags: .immediate, bytes: op))
        #expect(sgl.elements[1] == .simple(flags: .simpleLastIn, count: 0x100, address: 0x3000))
        #expect(sgl.encoded() == words)
    }

    @Test func sixtyFourBitFormWithAttributeElement() throws {
        let words: [UInt32] = [0x7C02_0002, 4096, 0xD000_0010, 0x89AB_CDEF, 0x0000_0001]
        let sgl = try SGL.decode(words: words)
        #expect(sgl.is64Bit)
        #expect(sgl.elements == [.simple(flags: .simpleLastIn, count: 16, address: 0x1_89AB_CDEF)])
        #expect(sgl.encoded() == words)
    }

    @Test func decodesFromAFrameAtItsOffset() throws {
        let f = MessageFrame(function: .execHrtGet, target: .executive, sglOffset: 4, payload: [0xD000_0040, 0x5000])
        #expect(try SGL.decode(from: f).elements == [.simple(flags: .simpleLastIn, count: 0x40, address: 0x5000)])
        #expect(try SGL.decode(from: MessageFrame(function: .utilNOP, target: 0)).elements.isEmpty)
    }

    @Test func malformedElementsAreTypedErrors() {
        #expect(throws: I2OFormatError.self) { try SGL.decode(words: [0xD000_0010]) }  // address missing
        #expect(throws: I2OFormatError.self) { try SGL.decode(words: [0xB000_0010, 0]) }  // chain pointer type
        #expect(throws: I2OFormatError.self) { try SGL.decode(words: [0x4C00_0010, 1]) }  // immediate data cut short
    }
}
