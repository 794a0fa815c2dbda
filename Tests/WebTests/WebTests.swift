import Hummingbird
import I2OFormats
import IOPModel
import Testing
@testable import Web

@Suite struct HTMLTests {
    @Test func textAndAttributesAreEscapedOnce() {
        let doc = Document(el("p", ["title": "a\"b<c>&'"]) {
            "1 < 2 & \"x\" 'y'"
            el("br")
            Node.trusted("<i>ok</i>")
        })
        #expect(doc.rendered == "<!DOCTYPE html>\n<p title=\"a&quot;b&lt;c&gt;&amp;&#39;\">1 &lt; 2 &amp; &quot;x&quot; &#39;y&#39;<br><i>ok</i></p>")
    }

    @Test func overviewDrawsTheLCTByParentAndUser() {
        let lct = LCT(entries: [
            LCTEntry(localTID: 0x008, classID: .busAdapter, parentTID: .executive),
            LCTEntry(localTID: 0x200, classID: .scsiPeripheral, parentTID: 0x008, userTID: 0x203),
            LCTEntry(localTID: 0x203, classID: .randomBlockStorage, parentTID: .executive),
        ])
        let html = Pages.overview([IOPView(unit: 0, hrt: nil, lct: lct)], device: "/dev/<x>").rendered
        #expect(html.contains("<code>/dev/&lt;x&gt;</code>"))
        // 0x200 inside 0x008's list, which is inside the executive's.
        let exec = html.range(of: "data-tid=\"0x000\"")!, bus = html.range(of: "data-tid=\"0x008\"")!, disk = html.range(of: "data-tid=\"0x200\"")!
        #expect(exec.lowerBound < bus.lowerBound && bus.lowerBound < disk.lowerBound)
        #expect(html.contains("<span class=\"class\">SCSI_PERIPHERAL</span>"))
        #expect(html.contains("used by 0x203"))
        #expect(html.contains("<ul id=\"events\"></ul>"))
    }

    @Test func devicePageEditsOnlyTheSpecsWritableFieldsWithTheToken() {
        var row = FixedText.encode("Array <0>", width: 64) + [UInt8](repeating: 0, count: 128)
        row += [7, 0, 0, 0]
        let g = GroupView(number: 0xF102, isTable: false, schema: StandardGroups.userInformation, rows: [row])
        let html = Pages.device(iop: 0, tid: 0x203, groups: [g], hasPage: true, token: "T0K", error: "the IOP answered <X>").rendered
        #expect(html.contains("<input type=\"hidden\" name=\"token\" value=\"T0K\">"))
        #expect(html.contains("<input name=\"value\" value=\"Array &lt;0&gt;\" id=\"edit-f102-DeviceName\">"))
        #expect(!html.contains("edit-f102-InstanceNumber"))
        #expect(html.contains("<p class=\"error\" id=\"result\">the IOP answered &lt;X&gt;</p>"))
        #expect(html.contains("href=\"/iop/0/tid/515/page/0\""))
    }
}

@Suite struct SecurityTests {
    @Test func loopbackAnswersItsNamesOnly() {
        let p = HostPolicy(host: "127.0.0.1", port: 8080)
        #expect(p.accepts("127.0.0.1:8080") && p.accepts("LOCALHOST:8080") && p.accepts("[::1]:8080"))
        #expect(!p.accepts("evil.example:8080") && !p.accepts("127.0.0.1:8081") && !p.accepts(nil) && !p.accepts("localhost"))
        #expect(HostPolicy(host: "localhost", port: 80).accepts("localhost"))
        let q = HostPolicy(host: "192.0.2.1", port: 9000, extra: ["box.lan", "proxy:443"])
        #expect(q.accepts("192.0.2.1:9000") && q.accepts("box.lan:9000") && q.accepts("proxy:443") && !q.accepts("localhost:9000"))
        #expect(HostPolicy.isLoopback("127.1.2.3") && HostPolicy.isLoopback("::1") && HostPolicy.isLoopback("[::1]"))
        #expect(!HostPolicy.isLoopback("0.0.0.0") && !HostPolicy.isLoopback("192.0.2.1") && !HostPolicy.isLoopback("127.0.0.256"))
    }

    @Test func guardRefusesOtherHostsAndForeignPosts() {
        let p = HostPolicy(host: "127.0.0.1", port: 8080)
        #expect(Guard.refusal(isPost: false, authority: "127.0.0.1:8080", origin: nil, policy: p) == nil)
        #expect(Guard.refusal(isPost: false, authority: "rebound.example:8080", origin: nil, policy: p)?.0 == .misdirectedRequest)
        #expect(Guard.refusal(isPost: true, authority: "127.0.0.1:8080", origin: "http://evil.example", policy: p)?.0 == .forbidden)
        #expect(Guard.refusal(isPost: true, authority: "127.0.0.1:8080", origin: "http://localhost:8080", policy: p) == nil)
        #expect(Guard.refusal(isPost: true, authority: "127.0.0.1:8080", origin: "null", policy: p) == nil)   // the sandboxed frame
    }

    @Test func tokensBelongToTheirSession() {
        let s = Sessions()
        let a = s.session(nil), b = s.session(nil)
        #expect(a.isNew && a.id != b.id && a.token != b.token && a.token.count == 32)
        #expect(s.session(a.id) == (a.id, a.token, false))
        #expect(s.check(session: a.id, token: a.token) && !s.check(session: a.id, token: b.token))
        #expect(!s.check(session: nil, token: a.token) && !s.check(session: a.id, token: nil) && !s.check(session: "x", token: a.token))
        #expect(s.isIssued(b.token) && !s.isIssued(String(repeating: "0", count: 32)))
        // The oldest sessions are forgotten past the limit.
        for _ in 0..<Sessions.limit { _ = s.session(nil) }
        #expect(!s.check(session: a.id, token: a.token))
    }
}

@Suite struct EventTextTests {
    @Test func fieldModifiedNamesTheGroupAndField() {
        let e = EventInfo(id: EventID(iop: 0, tid: 0x203, eventMask: 0x0100_0000), data: [0x02, 0xF1, 0x00, 0x00])
        #expect(EventLog.describe(e) == "IOP 0 TID 0x203 FIELD_MODIFIED group 0xF102 field 0")
        let f = EventInfo(id: EventID(iop: 1, tid: 0, eventMask: 0x100), data: [1, 2])
        #expect(EventLog.describe(f) == "IOP 1 TID 0x000 NEW_LCT_ENTRY data 01 02")
    }
}
