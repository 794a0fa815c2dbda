import I2OFormats
import Testing
@testable import IOPModel

/// The live configuration dialog (`{dialog}` in a page): the query applied as UtilParamsSet, the
/// page generated from the state after it.
@Suite struct DialogPageTests {
    static let volume = TestMachine.volumeTID

    static func text(_ iop: IOP, _ group: UInt16, _ field: String) -> String {
        guard let g = iop.parameterGroup(group, of: volume), let i = g.schema.field(named: field), let row = g.rows.first else { return "?" }
        return g.schema.fields[i].type.display(Array(row[g.schema.offsets[i]..<g.schema.offsets[i] + g.schema.fields[i].type.width]))
    }

    @Test func queryAppliedAsParamsSet() {
        var iop = TestMachine.iop()
        let out = iop.applyDialogQuery(Array("F102.DeviceName=Disk+one&8000.CacheMode=0x20&volume=203".utf8), tid: Self.volume)
        #expect(out == [IOP.DialogOutcome(ok: true, text: "Volume Info: set CacheMode"),
                        IOP.DialogOutcome(ok: true, text: "User Information: set DeviceName")])
        #expect(Self.text(iop, 0xF102, "DeviceName") == "Disk one")
        #expect(Self.text(iop, 0x8000, "CacheMode") == "32")
        // The same values again change nothing and say nothing.
        #expect(iop.applyDialogQuery(Array("F102.DeviceName=Disk%20one".utf8), tid: Self.volume).isEmpty)
    }

    @Test func refusalsLeaveTheDeviceAsItWas() {
        var iop = TestMachine.iop()
        let before = Self.text(iop, 0xF102, "DeviceName")
        let long = String(repeating: "x", count: 70)
        var out = iop.applyDialogQuery(Array("F102.DeviceName=\(long)".utf8), tid: Self.volume)
        #expect(out.count == 1 && !out[0].ok && out[0].text.contains("is not a text of at most 64 bytes"))
        out = iop.applyDialogQuery(Array("8000.StripeSize=7".utf8), tid: Self.volume)
        #expect(out == [IOP.DialogOutcome(ok: false, text: "Volume Info: UtilParamsSet failed: FIELD_UNWRITEABLE (field StripeSize)")])
        out = iop.applyDialogQuery(Array("8000.CacheMode=many".utf8), tid: Self.volume)
        #expect(out.first?.text == "Volume Info.CacheMode: \"many\" is not a u32 number")
        out = iop.applyDialogQuery(Array("9999.X=1&F102.NoSuch=1&8010.State=1".utf8), tid: Self.volume)
        #expect(out.map(\.text) == ["Volume Members: WRONG_GROUP_TYPE (a table: the dialog sets scalar groups)",
                                    "group 0x9999: INVALID_GROUP_ID (the device has no such group)",
                                    "User Information: NO_SUCH_FIELD NoSuch"])
        #expect(Self.text(iop, 0xF102, "DeviceName") == before)
    }

    @Test func pageShowsStateWritableFieldsAsInputsAndEscapes() {
        var iop = TestMachine.iop()
        _ = iop.applyDialogQuery(Array("F102.DeviceName=%3Cb%3E%7Bquery%7D".utf8), tid: Self.volume)
        let html = String(decoding: iop.dialogHTML(tid: Self.volume, outcomes: [IOP.DialogOutcome(ok: false, text: "a<b")]), as: UTF8.self)
        #expect(html.contains(#"<input name="F102.DeviceName" value="&lt;b&gt;&#123;query}">"#))
        #expect(html.contains(#"<input name="8000.CacheMode" value="1">"#))
        #expect(!html.contains(#"name="8000.StripeSize""#))   // read-only: shown, not editable
        #expect(html.contains(#"<p class="outcome-error">a&lt;b</p>"#))
        #expect(html.contains("<h2>0x8010 Volume Members</h2>"))
        #expect(!html.contains("<b>"))
    }

    @Test func utilConfigDialogGeneratesThePageAndAppliesTheQuery() throws {
        var h = Host()
        h.iop.devices[Self.volume]?.htmlPages[3] = Array("<html>{dialog}<p>q={query}</p></html>".utf8)
        let buf = h.memory.map(zeroes: 65536)
        let q = Array("F102.ServiceName=backup".utf8)
        let r = try h.reply(ConfigDialogTests.frame(tid: Self.volume, page: 3, reply: buf, capacity: 65536, query: (h.memory.map(q), q.count)))
        #expect(r.reqStatus == .success)
        let page = FixedText.decode(h.memory.buffer(at: buf) ?? [])
        #expect(r[word: 5] == UInt32(page.utf8.count))
        #expect(page.contains(#"<p class="outcome-ok">User Information: set ServiceName</p>"#))
        #expect(page.contains(#"value="backup""#) && page.hasSuffix("<p>q=F102.ServiceName=backup</p></html>"))
        #expect(Self.text(h.iop, 0xF102, "ServiceName") == "backup")
    }
}
