import I2OFormats
import IOPModel

extension Interpreter {
    static let deviceKeys = ["tid", "class", "class_version", "org_id", "subclass", "flags", "parent", "user",
                             "change_indicator", "bios_info", "identity_tag", "event_capabilities", "groups", "html",
                             "html_file", "failures", "storage"]
    static let flagNames: [(String, DeviceFlags)] = [
        ("config_dialog_request", .configDialogRequest), ("multi_user", .multiUser),
        ("peer_service_disabled", .peerServiceDisabled), ("management_service_disabled", .managementServiceDisabled),
    ]

    /// - Parameter known: TIDs that exist without being written here (derived from a `dpt:` section).
    func devices(_ node: FixtureNode, _ path: String, known: Set<TID> = []) -> [DeviceDescription] {
        guard let list = r.list(node, path, of: "devices") else { return [] }
        var out: [DeviceDescription] = []
        var seen: [TID: (index: Int, line: Int)] = [:]
        var parents: [(TID, FixtureNode?, String)] = []
        var storageNodes: [TID: FixtureNode] = [:]
        var allParsed = true
        for (i, item) in list.enumerated() {
            let p = path + "[\(i)]"
            guard let (d, parentNode) = device(item, p) else { allParsed = false; continue }
            if let first = seen[d.tid] {
                r.error(tidNode(item), join(p, "tid"), "TID \(d.tid) (\(d.tid.rawValue) decimal) is already used by \(path)[\(first.index)] at line \(first.line)",
                        hint: "every device of an IOP needs its own TID")
                continue
            }
            seen[d.tid] = (i, item.mark.line)
            if let parentNode { parents.append((d.entry.parentTID, parentNode, p)) }
            if case let .mapping(m) = item, let n = m["storage"] { storageNodes[d.tid] = n }
            out.append(d)
        }
        for (t, n, p) in parents where t != .none && seen[t] == nil && !known.contains(t) {
            r.error(n, join(p, "parent"), "parent TID \(t) is not a device of this IOP",
                    hint: "use the TID of a device listed under devices (0 for the executive), or none")
        }
        checkStorage(out, nodes: storageNodes, path)
        if allParsed, !known.contains(.executive), !out.contains(where: { $0.tid == .executive }) {
            r.error(node, path, "no executive: an IOP's devices must include TID 0",
                    hint: "add `- {tid: 0, class: EXECUTIVE}` first")
        }
        return out
    }

    private func tidNode(_ node: FixtureNode) -> FixtureNode? {
        if case let .mapping(m) = node { return m["tid"] ?? node }
        return node
    }

    /// One device, and the node of its `parent:` key when one was written.
    func device(_ node: FixtureNode, _ path: String) -> (DeviceDescription, FixtureNode?)? {
        guard let o = r.object(node, path, keys: Self.deviceKeys, required: ["tid", "class"],
                               examples: ["tid": "0x008", "class": "BUS_ADAPTER"]) else { return nil }
        guard let tidN = o["tid"], let tid = r.tid(tidN, o.sub("tid"), allowNone: false) else {
            _ = o["class"].map { classID($0, o.sub("class")) }
            return nil
        }
        if tid == .host {
            r.error(tidN, o.sub("tid"), "TID 1 is the host's (HOST_TID) and cannot be a device",
                    hint: "devices use TID 0 (executive) and 8 upward, as real IOPs do")
        }
        var entry = LCTEntry(localTID: tid, classID: .executive, parentTID: tid == .executive ? .none : .executive)
        if let v = o["class"], let c = classID(v, o.sub("class")) {
            entry.classID = c
            if tid == .executive, c != .executive {
                r.error(v, o.sub("class"), "TID 0 is the executive; its class must be EXECUTIVE", hint: "write class: EXECUTIVE")
            }
        }
        if let v = o["class_version"], let x = r.integer(v, o.sub("class_version"), in: 0...15, what: "a class version (0…15)") { entry.classVersion = UInt8(x) }
        if let v = o["org_id"], let x = r.u16(v, o.sub("org_id"), what: "an organization id (0…0xFFFF)") { entry.organizationID = x }
        if let v = o["subclass"], let x = r.u32(v, o.sub("subclass")) { entry.subClass = x }
        if let v = o["flags"], let f = flags(v, o.sub("flags")) { entry.deviceFlags = f }
        if let v = o["parent"], let t = r.tid(v, o.sub("parent")) { entry.parentTID = t }
        if let v = o["user"], let t = r.tid(v, o.sub("user")) { entry.userTID = t }
        if let v = o["change_indicator"], let x = r.u32(v, o.sub("change_indicator")) { entry.changeIndicator = x }
        if let v = o["bios_info"], let x = r.u8(v, o.sub("bios_info")) { entry.biosInfo = x }
        if let v = o["identity_tag"], let b = r.textOrBytes(v, o.sub("identity_tag"), width: 8, what: "identity_tag") {
            entry.identityTag = b + [UInt8](repeating: 0, count: 8 - b.count)
        }
        if let v = o["event_capabilities"], let x = r.u32(v, o.sub("event_capabilities")) { entry.eventCapabilities = x }

        var d = DeviceDescription(entry: entry)
        if let v = o["groups"] { d.groups = groups(v, o.sub("groups"), executive: tid == .executive) }
        if let v = o["html"], let pairs = r.pairs(v, o.sub("html"), of: "HTML pages (page number: text)") {
            for (k, text, value) in pairs {
                let p = o.sub("html") + "." + text
                guard let page = r.u32(k, p, what: "a page number"), let html = r.text(value, p, what: "HTML text") else { continue }
                if d.htmlPages[page] != nil { r.error(k, p, "page \(page) is given twice"); continue }
                d.htmlPages[page] = Array(html.utf8)
            }
        }
        if let v = o["html_file"], let pairs = r.pairs(v, o.sub("html_file"), of: "HTML files (page number: path)") {
            for (k, text, value) in pairs {
                let p = o.sub("html_file") + "." + text
                guard let page = r.u32(k, p, what: "a page number") else { continue }
                if d.htmlPages[page] != nil {
                    r.error(k, p, "page \(page) is given twice", hint: "a page comes from html or html_file, not both")
                    continue
                }
                if let b = r.readFile(value, p, limit: FixtureLoader.maxReferencedFileBytes) { d.htmlPages[page] = b }
            }
        }
        if let v = o["failures"], let list = r.list(v, o.sub("failures"), of: "known failures") {
            d.failures = list.enumerated().compactMap { failure($1, o.sub("failures") + "[\($0)]", executive: tid == .executive) }
        }
        if let v = o["storage"] {
            d.blockStorage = storage(v, o.sub("storage"))
            if d.blockStorage != nil, entry.classID != .randomBlockStorage, entry.classID != .scsiPeripheral {
                r.error(v, o.sub("storage"), "device \(tid) is \(entry.classID): only RANDOM_BLOCK_STORAGE and SCSI_PERIPHERAL devices hold data",
                        hint: "write one of those classes, or drop storage:")
            }
        }
        return (d, o["parent"])
    }

    func classID(_ node: FixtureNode, _ path: String) -> ClassID? {
        r.named(node, path, what: "device class", names: ClassID.allNames, max: 0xFFF,
                byName: { r.classIDs.name($0) }, byNumber: { ClassID(rawValue: UInt16($0)) })
    }

    /// `PM`/`CPM` letters as Linux prints them, a list of flag names, or a number.
    func flags(_ node: FixtureNode, _ path: String) -> DeviceFlags? {
        switch node {
        case let .sequence(seq):
            var f: DeviceFlags = []
            for (i, item) in seq.enumerated() {
                let p = path + "[\(i)]"
                guard let name = r.text(item, p, what: "a flag name") else { continue }
                if let known = Self.flagNames.first(where: { $0.0 == name.lowercased() }) { f.insert(known.1); continue }
                if let n = Reader.parseInteger(name), (0...31).contains(n), name.allSatisfy(\.isNumber) {
                    f.insert(DeviceFlags(rawValue: 1 << UInt32(n))); continue
                }
                let names = Self.flagNames.map(\.0)
                var hint = "known flags: " + names.joined(separator: ", ") + ", or a bit number"
                if let near = Reader.nearest(name, in: names) { hint = "did you mean \(near)? (" + hint + ")" }
                r.error(item, p, "unknown device flag '\(name)'", hint: hint)
            }
            return f
        case let .scalar(s):
            if Reader.parseInteger(s.string) != nil { return r.u32(node, path, what: "device flags").map { DeviceFlags(rawValue: $0) } }
            let letters = s.string.uppercased()
            guard letters.allSatisfy({ "CUPM".contains($0) }), Set(letters).count == letters.count else {
                r.error(node, path, "'\(s.string)' is not device-flag letters",
                        hint: "write letters as Linux prints them (C, U, P, M: e.g. PM or CPM), a list like [config_dialog_request], or a number")
                return nil
            }
            var f: DeviceFlags = []
            if letters.contains("C" as Character) { f.insert(.configDialogRequest) }
            if letters.contains("U" as Character) { f.insert(.multiUser) }
            if !letters.contains("P" as Character) { f.insert(.peerServiceDisabled) }
            if !letters.contains("M" as Character) { f.insert(.managementServiceDisabled) }
            return f
        default:
            r.error(node, path, "expected flag letters (PM, CPM …), a list of flag names or a number, found a mapping")
            return nil
        }
    }

    // MARK: - Known failures

    func failure(_ node: FixtureNode, _ path: String, executive: Bool) -> KnownFailure? {
        guard let o = r.object(node, path, keys: ["function", "group", "status", "detail"], required: ["status"],
                               examples: ["status": "ERROR_PARTIAL_TRANSFER"]) else { return nil }
        var f = KnownFailure(function: nil, group: nil, reqStatus: .errorPartialTransfer, detailedStatus: .unknownError)
        if let v = o["function"] {
            guard let x: I2OFunction = r.code(v, o.sub("function"), what: "function") else { return nil }
            f.function = x
        }
        if let v = o["group"] { guard let g = groupNumber(v, o.sub("group"), executive: executive) else { return nil }; f.group = g }
        if let v = o["status"] {
            guard let x: ReqStatus = r.code(v, o.sub("status"), what: "ReqStatus") else { return nil }
            f.reqStatus = x
        }
        if let v = o["detail"] {
            guard let x: DetailedStatus = r.code(v, o.sub("detail"), what: "DetailedStatus") else { return nil }
            f.detailedStatus = x
        }
        return f
    }
}
