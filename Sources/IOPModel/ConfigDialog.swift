import I2OFormats

extension IOP {
    /// The text in a page that UtilConfigDialog replaces by the query string it received.
    public static let queryPlaceholder: [UInt8] = Array("{query}".utf8)

    /// UtilConfigDialog (0x10): word 4 = page number; SGL element 1 = the reply buffer, optional
    /// element 2 = the query string (host→IOP, as Linux 2.4 sends `qbuf`).
    ///
    /// The page (`DeviceDescription.htmlPages`) is written to the reply buffer, every `{query}`
    /// in it replaced by the query received (trailing NULs dropped), and NUL-terminated if there
    /// is room. The last query per TID is kept in `lastConfigQuery`. Reply word 5 = the byte
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
        var text = Self.replacing(Self.queryPlaceholder, in: page, with: query ?? [])
        let length = text.count
        text.append(0)
        try Transfer.write(text, to: buffer, memory: memory)
        return MessageFrame.reply(to: request, word: UInt32(length))
    }

    /// `haystack` with every occurrence of `needle` replaced by `replacement`.
    static func replacing(_ needle: [UInt8], in haystack: [UInt8], with replacement: [UInt8]) -> [UInt8] {
        guard !needle.isEmpty, haystack.count >= needle.count else { return haystack }
        var out: [UInt8] = []
        out.reserveCapacity(haystack.count)
        var i = 0
        while i < haystack.count {
            if i + needle.count <= haystack.count, haystack[i..<i + needle.count].elementsEqual(needle) {
                out.append(contentsOf: replacement)
                i += needle.count
            } else {
                out.append(haystack[i]); i += 1
            }
        }
        return out
    }
}
