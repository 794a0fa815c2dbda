import I2OFormats

extension IOP {
    /// The text in a page that UtilConfigDialog replaces by the query string it received.
    public static let queryPlaceholder: [UInt8] = Array("{query}".utf8)

    /// UtilConfigDialog (0x10): word 4 = page number; SGL element 1 = the reply buffer, optional
    /// element 2 = the query string (host→IOP, as Linux 2.4 sends `qbuf`).
    ///
    /// The page (`DeviceDescription.htmlPages`) is written to the reply buffer, every `{query}`
    /// in it replaced by the query received (trailing NULs dropped) — where the page holds
    /// `{dialog}`, the query first applied to the device and every `{dialog}` replaced by the
    /// live dialog (DialogPage.swift) — and NUL-terminated if there is room. The last query per TID is kept in `lastConfigQuery`. Reply word 5 = the byte
    /// count of the page (after the replacement, without the NUL) — its full length even when
    /// the buffer cut it short. No such page → ERROR_NO_DATA_TRANSFER / NO_SUCH_PAGE.
    mutating func configDialog(_ request: MessageFrame, memory: BusMemory) throws(RequestFault) -> MessageFrame? {
        try Transfer.require(request, words: 5)
        let elements = try Transfer.elements(of: request, minimum: 1)
        let buffer = try Transfer.buffer(elements[0], memory: memory)
        var query: [UInt8]?
        if elements.count >= 2 {
            var q = try Transfer.bytes(of: elements[1], memory: memory)
            while q.last == 0 { q.removeLast() }
            query = q
        }
        guard let page = devices[request.target]?.htmlPages[request.words[4]] else {
            throw RequestFault(.errorNoDataTransfer, .noSuchPage)
        }
        if let query { lastConfigQuery[request.target] = query }
        var text = page
        if Self.contains(Self.dialogPlaceholder, in: page) {
            // The live dialog (DialogPage.swift): the query applied first, then the page of the state
            // after it. Its text escapes `{`, so no placeholder comes from the device's values.
            let outcomes = query.map { applyDialogQuery($0, tid: request.target) } ?? []
            text = Self.replacing(Self.dialogPlaceholder, in: text, with: dialogHTML(tid: request.target, outcomes: outcomes))
        }
        text = Self.replacing(Self.queryPlaceholder, in: text, with: query ?? [])
        let length = text.count
        text.append(0)
        try Transfer.write(text, to: buffer, memory: memory)
        return MessageFrame.reply(to: request, word: UInt32(length))
    }

    /// `haystack` with every occurrence of `needle` replaced by `replacement` (the array itself,
    /// not a copy, when there is none).
    static func replacing(_ needle: [UInt8], in haystack: [UInt8], with replacement: [UInt8]) -> [UInt8] {
        var out: [UInt8]? = nil
        var copied = 0
        forEachOccurrence(of: needle, in: haystack) { at in
            if out == nil { out = []; out!.reserveCapacity(haystack.count + replacement.count) }
            out!.append(contentsOf: haystack[copied..<at])
            out!.append(contentsOf: replacement)
            copied = at + needle.count
        }
        guard var out else { return haystack }
        out.append(contentsOf: haystack[copied...])
        return out
    }

    static func contains(_ needle: [UInt8], in haystack: [UInt8]) -> Bool {
        var found = false
        forEachOccurrence(of: needle, in: haystack) { _ in found = true }
        return found
    }

    /// How many times the query placeholder occurs in a page (each is replaced by the query).
    public static func queryPlaceholderCount(in page: [UInt8]) -> Int {
        var n = 0
        forEachOccurrence(of: queryPlaceholder, in: page) { _ in n += 1 }
        return n
    }

    /// Calls `body` with the offset of each occurrence of `needle` in `haystack`, left to right,
    /// not overlapping. A scan for the first byte, then a compare there: a page is searched per
    /// request, and a compare at every offset cost more than the rest of the request.
    static func forEachOccurrence(of needle: [UInt8], in haystack: [UInt8], _ body: (Int) -> Void) {
        let n = needle.count, h = haystack.count
        guard n > 0, h >= n else { return }
        haystack.withUnsafeBufferPointer { hs in
            needle.withUnsafeBufferPointer { nd in
                let first = nd[0]
                var i = 0
                while i <= h - n {
                    guard hs[i] == first else { i += 1; continue }
                    var k = 1
                    while k < n && hs[i + k] == nd[k] { k += 1 }
                    if k == n { body(i); i += n } else { i += 1 }
                }
            }
        }
    }
}
