import I2OFormats
import Testing
@testable import IOPModel

@Suite struct ConfigDialogTests {
    /// UtilConfigDialog as Linux 2.4 builds it: 7 words without a query, 9 with one.
    static func frame(tid: TID, page: UInt32, reply: UInt64, capacity: Int, query: (UInt64, Int)? = nil) -> MessageFrame {
        var payload: [UInt32] = [page]
        if let (qa, ql) = query {
            payload += [0x5000_0000 | UInt32(capacity), UInt32(reply), 0xD400_0000 | UInt32(ql), UInt32(qa)]
        } else {
            payload += [0xD000_0000 | UInt32(capacity), UInt32(reply)]
        }
        return MessageFrame(function: .utilConfigDialog, target: tid, sglOffset: 5, payload: payload)
    }

    @Test func pageWithQueryReplaced() throws {
        var h = Host()
        let buf = h.memory.map(zeroes: 256)
        let q = Array("raid=5&disks=3".utf8) + [0]
        let qa = h.memory.map(q)
        let f = Self.frame(tid: 0x205, page: 1, reply: buf, capacity: 256, query: (qa, q.count))
        #expect(f.messageSize.rawValue == 9)
        let r = try h.reply(f)
        #expect(r.reqStatus == .success)
        let text = "<p>query=raid=5&disks=3</p>"
        #expect(r[word: 5] == UInt32(text.utf8.count))
        let bytes = try #require(h.memory.buffer(at: buf))
        #expect(Array(bytes.prefix(text.utf8.count + 1)) == Array(text.utf8) + [0])
        #expect(h.iop.lastConfigQuery[0x205] == Array("raid=5&disks=3".utf8))
        // Without a query the placeholder is empty and the last query stays.
        let r2 = try h.reply(Self.frame(tid: 0x205, page: 1, reply: buf, capacity: 256))
        #expect(r2[word: 5] == UInt32("<p>query=</p>".utf8.count))
        #expect(FixedText.decode(h.memory.buffer(at: buf) ?? []) == "<p>query=</p>")
        #expect(h.iop.lastConfigQuery[0x205] == Array("raid=5&disks=3".utf8))
    }

    @Test func truncatedPageReportsFullLength() throws {
        var h = Host()
        let buf = h.memory.map(zeroes: 40)
        let r = try h.reply(Self.frame(tid: 0x205, page: 2, reply: buf, capacity: 40))
        #expect(r.reqStatus == .success)
        #expect(r[word: 5] == 100)
        #expect(h.memory.buffer(at: buf) == [UInt8](repeating: UInt8(ascii: "x"), count: 40))
        // Exactly the page's length: no room for the NUL, nothing beyond.
        let exact = h.memory.map(zeroes: 100)
        _ = try h.reply(Self.frame(tid: 0x205, page: 2, reply: exact, capacity: 100))
        #expect(h.memory.buffer(at: exact) == [UInt8](repeating: UInt8(ascii: "x"), count: 100))
    }

    @Test func noSuchPage() throws {
        var h = Host()
        let buf = h.memory.map(zeroes: 64)
        var r = try h.reply(Self.frame(tid: 0x205, page: 9, reply: buf, capacity: 64))
        #expect(r.reqStatus == .errorNoDataTransfer && r.detailedStatus == .noSuchPage)
        r = try h.reply(Self.frame(tid: 0x010, page: 0, reply: buf, capacity: 64))
        #expect(r.detailedStatus == .noSuchPage)
        #expect(h.memory.buffer(at: buf)?.allSatisfy { $0 == 0 } == true)
        // The executive's page.
        r = try h.reply(Self.frame(tid: 0, page: 0, reply: buf, capacity: 64))
        #expect(r.reqStatus == .success)
        #expect(FixedText.decode(h.memory.buffer(at: buf) ?? []) == "<html>exec</html>")
    }
}

@Suite struct EventTests {
    @Test func registerRaiseAndCancel() throws {
        var h = Host()
        let f = MessageFrame(function: .utilEventRegister, target: 0x205, initiatorContext: 0xAA, transactionContext: 0xBB,
                             payload: [0xFFFF_FFFF])
        #expect(h.post(f) == nil)
        #expect(h.iop.eventRegistrations == [EventRegistration(tid: 0x205, initiatorContext: 0xAA, transactionContext: 0xBB,
                                                                mask: EventIndicator(rawValue: 0xFFFF_FFFF))])
        let data = (0..<90).map { UInt8($0) }
        h.iop.raiseEvent(tid: 0x205, indicator: .generalWarning, data: data)
        h.iop.raiseEvent(tid: 0x010, indicator: .generalWarning, data: [1])
        var out = h.iop.takeOutbound()
        #expect(out.count == 1)
        let e = out[0]
        #expect(e.function == .utilEventRegister)
        #expect(e.target == 0x205 && e.initiator == .host)
        #expect(e.initiatorContext == 0xAA && e.transactionContext == 0xBB)
        #expect(e.isReply)
        #expect(e.messageSize.rawValue == 5 + 22)           // 88 bytes of data kept
        #expect(e[word: 4] == 0x4000_0000)
        #expect(Array(e.words[5...]).littleEndianBytes == Array(data.prefix(88)))
        // Data padded to whole words.
        h.iop.raiseEvent(tid: 0x205, indicator: .stateChange, data: [0x10])
        out = h.iop.takeOutbound()
        #expect(out.first?.words.count == 6 && out.first?[word: 5] == 0x10)
        // Registering again replaces the mask; mask 0 cancels.
        h.register(0x205, mask: .stateChange, context: 0xBB)
        #expect(h.iop.eventRegistrations.count == 2)
        let cancel = MessageFrame(function: .utilEventRegister, target: 0x205, initiatorContext: 0xAA, transactionContext: 0xBB,
                                  payload: [0])
        #expect(h.post(cancel) == nil)
        #expect(h.iop.eventRegistrations.count == 1)
        h.iop.raiseEvent(tid: 0x205, indicator: .generalWarning, data: [])
        #expect(h.iop.takeOutbound().isEmpty)
        h.iop.raiseEvent(tid: 0x205, indicator: .stateChange, data: [])
        #expect(h.iop.takeOutbound().count == 1)
    }

    @Test func fourWordFrameOf2618IsACancel() {
        var h = Host()
        h.register(0x205, mask: .fieldModified, context: 3)
        // 2.6.18 declares 4 words: the mask in word 4 never reaches the IOP.
        let f = MessageFrame(function: .utilEventRegister, target: 0x205, initiatorContext: 0x1234, transactionContext: 3)
        #expect(f.words.count == 4)
        #expect(h.post(f) == nil)
        #expect(h.iop.eventRegistrations.isEmpty)
    }

    @Test func registerForUnknownTIDFails() throws {
        var h = Host()
        let r = try h.reply(MessageFrame(function: .utilEventRegister, target: 0x300, payload: [1]))
        #expect(r.detailedStatus == .invalidTargetAddress)
        #expect(h.iop.eventRegistrations.isEmpty)
    }
}

/// The placeholder search of UtilConfigDialog: every occurrence, left to right, none overlapping.
@Suite struct PlaceholderTests {
    func replaced(_ page: String, _ query: String) -> String {
        String(decoding: IOP.replacing(IOP.queryPlaceholder, in: Array(page.utf8), with: Array(query.utf8)), as: UTF8.self)
    }

    @Test func everyOccurrenceIsReplaced() {
        #expect(replaced("{query}", "q") == "q")
        #expect(replaced("a{query}b{query}c", "Q") == "aQbQc")
        #expect(replaced("{query}{query}", "") == "")
        #expect(replaced("{que{query}y}", "X") == "{queXy}")         // a false start, then a match
        #expect(replaced("{{query}}", "[]") == "{[]}")
        #expect(replaced("no placeholder", "Q") == "no placeholder")
        #expect(replaced("{quer", "Q") == "{quer")                  // shorter than the placeholder
        #expect(replaced("", "Q") == "")
        #expect(IOP.queryPlaceholderCount(in: Array("{query}x{query}{query".utf8)) == 2)
        #expect(IOP.queryPlaceholderCount(in: []) == 0)
    }
}
