import I2OFormats
import IOPModel

/// The front end's pages, as typed HTML (HTML.swift). Each takes what the device answered and
/// the session's token (put in every form); none reads the device itself.
public enum Pages {
    static let style: StaticString = """
        body{font-family:system-ui,sans-serif;margin:0;color:#222;background:#f6f6f3}
        header{background:#2b3a4a;color:#fff;padding:.6em 1em}header a{color:#fff;text-decoration:none;font-weight:bold}
        main{padding:1em;max-width:72em}section.iop{background:#fff;border:1px solid #ccc;border-radius:6px;padding:.5em 1em;margin-bottom:1em}
        table{border-collapse:collapse;margin:.3em 0}td,th{border:1px solid #ddd;padding:.15em .5em;text-align:left;font-size:.9em}
        th{background:#eef}ul.tree{list-style:none;padding-left:1.2em;border-left:1px dotted #999}ul.tree li{margin:.2em 0}
        .tid{font-family:monospace;font-weight:bold}.class{color:#555;font-size:.85em}.claim{color:#955;font-size:.85em}
        .error{color:#b00;font-weight:bold}.ok{color:#070;font-weight:bold}#events li{font-family:monospace;font-size:.85em}
        iframe{width:100%;height:40em;border:1px solid #999;background:#fff}form.set{display:inline}
        .groups{display:flex;flex-wrap:wrap;gap:0 2em;align-items:flex-start}.groups h4{margin:.8em 0 .2em}
        """

    /// Fetches new events every second and adds them to `#events` (no page reload).
    static let eventsScript: StaticString = """
        (function(){var after=0,list=document.getElementById('events');if(!list)return;
        function tick(){fetch('/events?after='+after,{cache:'no-store'}).then(function(r){return r.json()}).then(function(es){
        es.forEach(function(e){after=Math.max(after,e.seq);var li=document.createElement('li');li.textContent=e.text;
        list.insertBefore(li,list.firstChild);});}).catch(function(){}).finally(function(){setTimeout(tick,1000)});}
        tick();})();
        """

    static func page(_ title: String, @NodeBuilder _ body: () -> [Node]) -> Document {
        Document(el("html", ["lang": "en"]) {
            el("head") {
                el("meta", ["charset": "utf-8"])
                el("meta", ["name": "referrer", "content": "no-referrer"])
                el("title") { title + " — i2osim web" }
                el("style") { Node.trusted(style) }
            }
            el("body") {
                el("header") { el("a", ["href": "/"]) { "i2osim web" }; " — " + title }
                el("main") { body() }
            }
        })
    }

    static func tid(_ t: UInt16) -> String { hex(t, width: 3) }

    static func message(_ text: String?, ok: String?) -> [Node] {
        if let text { return [el("p", ["class": "error", "id": "result"]) { text }] }
        if let ok { return [el("p", ["class": "ok", "id": "result"]) { ok }] }
        return []
    }

    // MARK: Overview

    /// `/`: every IOP with its status, HRT and LCT tree, and the live events.
    public static func overview(_ iops: [IOPView], device: String) -> Document {
        page("the machine") {
            el("p") { "Control device "; el("code") { device }; ", \(iops.count) IOP\(iops.count == 1 ? "" : "s")." }
            for v in iops { iop(v) }
            el("h2") { "Events" }
            el("p", ["class": "class"]) { "Registered with I2OEVTREG for every device, read with I2OEVTGET; newest first." }
            el("ul", ["id": "events"]) {}
            el("script") { Node.trusted(eventsScript) }
        }
    }

    static func iop(_ v: IOPView) -> Node {
        el("section", ["class": "iop", "id": "iop\(v.unit)"]) {
            el("h2") { "IOP \(v.unit)" }
            for e in v.errors { el("p", ["class": "error"]) { e } }
            if let lct = v.lct {
                el("h3") { "Logical Configuration Table (change indicator \(lct.changeIndicator))" }
                el("ul", ["class": "tree", "id": "lct\(v.unit)"]) { tree(v, lct, parent: .executive, depth: 0) }
            }
            el("h3") { "Status (the executive's groups) and Hardware Resource Table" }
            el("div", ["class": "groups"]) {
                for g in v.executive { groupTable(g, token: nil, iop: v.unit, tid: 0) }
                if let hrt = v.hrt {
                    el("div", ["class": "group"]) {
                        el("h4") { "HRT (change indicator \(hrt.changeIndicator))" }
                        el("table", ["class": "hrt"]) {
                            el("tr") { for h in ["AdapterID", "ControllingTID", "State", "Bus", "BusType"] { el("th") { h } } }
                            for e in hrt.entries {
                                el("tr") {
                                    el("td") { hex(e.adapterID, width: 8) }; el("td") { tid(e.controllingTID.rawValue) }
                                    el("td") { String(e.adapterState) }; el("td") { String(e.busNumber) }
                                    el("td") { HRTBusType(rawValue: e.busType)?.name ?? hex(e.busType, width: 2) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The LCT as a tree: under the executive (TID 0), each entry under its ParentTID.
    static func tree(_ v: IOPView, _ lct: LCT, parent: TID, depth: Int) -> [Node] {
        var out: [Node] = []
        if depth == 0 { out.append(item(v, lct, tid: .executive, entry: nil, depth: 0)); return out }
        for e in lct.entries where e.parentTID == parent && e.localTID != parent {
            out.append(item(v, lct, tid: e.localTID, entry: e, depth: depth))
        }
        return out
    }

    static func item(_ v: IOPView, _ lct: LCT, tid t: TID, entry: LCTEntry?, depth: Int) -> Node {
        let id = v.identity[t.rawValue]
        let name = [id?.value(named: "VendorInfo"), id?.value(named: "ProductInfo"), id?.value(named: "Description")]
            .compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
        return el("li", ["data-tid": tid(t.rawValue)]) {
            el("a", attributes: [("class", "tid"), ("href", "/iop/\(v.unit)/tid/\(t.rawValue)")]) { tid(t.rawValue) }
            " "
            el("span", ["class": "class"]) { entry.map { $0.classID.description } ?? "EXECUTIVE" }
            " " + name
            if let e = entry, e.userTID.rawValue != 0xFFF {
                el("span", ["class": "claim"]) { " — used by \(tid(e.userTID.rawValue))" }
            }
            let children = depth < 8 ? tree(v, lct, parent: t, depth: depth + 1) : []
            if !children.isEmpty { el("ul", ["class": "tree"]) { children } }
        }
    }

    // MARK: Device

    /// `/iop/N/tid/T`: the device's groups, the spec's writable fields as forms (PARMSET).
    public static func device(iop: UInt32, tid t: UInt32, groups: [GroupView], hasPage: Bool, token: String,
                              error: String? = nil, ok: String? = nil) -> Document {
        page("IOP \(iop) TID \(tid(UInt16(t)))") {
            message(error, ok: ok)
            el("p") {
                el("a", ["href": "/"]) { "← the machine" }
                if hasPage {
                    " · "
                    el("a", attributes: [("id", "own-page"), ("href", "/iop/\(iop)/tid/\(t)/page/0")]) { "the device's own page (I2OHTML page 0)" }
                }
            }
            let editable = groups.filter { g in !g.isTable && (g.schema?.fields.contains { $0.writable } ?? false) }
            el("h3") { "Settings (I2OPARMSET)" }
            el("div", ["class": "groups"]) { for g in editable { groupTable(g, token: token, iop: iop, tid: t) } }
            el("h3") { "Parameter groups (I2OPARMGET)" }
            el("div", ["class": "groups"]) {
                for g in groups where !editable.contains(where: { $0.number == g.number }) { groupTable(g, token: token, iop: iop, tid: t) }
            }
        }
    }

    /// One group: scalar as name/value rows (writable fields as forms when `token` is given), table as a table.
    static func groupTable(_ g: GroupView, token: String?, iop: UInt32, tid t: UInt32) -> Node {
        el("div", attributes: [("class", "group"), ("id", "group-\(String(hex(g.number, width: 4).dropFirst(2)))")]) {
            el("h4") { "\(hex(g.number, width: 4)) \(g.name)" }
            if let e = g.error {
                el("p", ["class": "error"]) { "PARMGET: \(e)" }
            } else if let s = g.schema {
                if g.isTable {
                    el("table") {
                        el("tr") { for f in s.fields { el("th") { f.name } } }
                        for row in g.rows { el("tr") { for i in s.fields.indices { el("td") { g.shown(row, i) } } } }
                    }
                    if g.rows.isEmpty { el("p", ["class": "class"]) { "(no rows)" } }
                } else if let row = g.rows.first {
                    el("table") {
                        for (i, f) in s.fields.enumerated() where !f.name.hasPrefix("reserved") {
                            el("tr") {
                                el("th") { f.name }
                                el("td") {
                                    if let token, f.writable {
                                        field(iop: iop, tid: t, group: g.number, name: f.name, value: g.value(row, i), token: token)
                                    } else {
                                        g.shown(row, i)
                                    }
                                }
                            }
                        }
                    }
                }
            } else {
                el("p") { el("code") { g.raw.map { String(hex($0, width: 2).dropFirst(2)) }.joined(separator: " ") } }
            }
        }
    }

    static func field(iop: UInt32, tid t: UInt32, group: UInt16, name: String, value: String, token: String) -> Node {
        el("form", attributes: [("class", "set"), ("method", "post"), ("action", "/iop/\(iop)/tid/\(t)/set")]) {
            el("input", attributes: [("type", "hidden"), ("name", "token"), ("value", token)])
            el("input", attributes: [("type", "hidden"), ("name", "group"), ("value", String(group, radix: 16))])
            el("input", attributes: [("type", "hidden"), ("name", "field"), ("value", name)])
            el("input", attributes: [("name", "value"), ("value", value), ("id", "edit-\(String(group, radix: 16))-\(name)")])
            el("button", ["type": "submit"]) { "Set" }
        }
    }

    // MARK: The device's own page

    /// `/iop/N/tid/T/page/P`: the device's page in a sandboxed frame (no scripts, forms allowed).
    public static func ownPage(iop: UInt32, tid t: UInt32, page p: UInt32, token: String) -> Document {
        page("IOP \(iop) TID \(tid(UInt16(t))) page \(p)") {
            el("p") {
                el("a", ["href": "/iop/\(iop)/tid/\(t)"]) { "← the device's parameters" }
                " · the page below is the IOP's own (I2OHTML); its forms go back to the IOP as the query."
            }
            el("iframe", attributes: [("id", "device-page"), ("title", "the device's page"), ("sandbox", "allow-forms"),
                                      ("src", "/frame/\(token)/iop/\(iop)/tid/\(t)/page/\(p)")])
        }
    }

    /// A link's query (a GET) is not sent on its own: the IOP may change state on a query, so
    /// sending it takes a POST, from this page.
    public static func confirmQuery(query: String, action: String) -> Document {
        page("send a query to the IOP") {
            el("p") { "This link sends the query "; el("code") { query }; " to the IOP." }
            el("form", attributes: [("method", "post"), ("action", action)]) {
                el("button", ["type": "submit", "id": "send-query"]) { "Send it" }
            }
        }
    }

    /// An error page (the IOP's or the front end's).
    public static func failure(_ title: String, _ text: String) -> Document {
        page(title) { el("p", ["class": "error", "id": "result"]) { text }; el("p") { el("a", ["href": "/"]) { "← the machine" } } }
    }
}
