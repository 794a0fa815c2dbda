import I2OFormats

/// The key of a module in the software store: (SwType, SwID).
public struct SoftwareKey: Hashable, Sendable {
    public var swType: UInt8
    public var swID: UInt32
    public init(swType: UInt8, swID: UInt32) { self.swType = swType; self.swID = swID }
}

/// An ExecSwDownload in progress: the fragments received so far of one (SwType, SwID).
public struct DownloadAssembly: Hashable, Sendable {
    public var totalFragments: Int
    public var swSize: Int
    /// The fragment expected next (1-based).
    public var nextFragment: Int
    public var bytes: [UInt8]
    public var permanent: Bool
    public var experimental: Bool
}

extension SoftwareStore {
    /// Bytes per fragment of ExecSwDownload/ExecSwUpload (all but the last).
    public static let fragmentSize = 8192

    /// Number of 8192-byte fragments of a module of `size` bytes (at least 1).
    public static func fragmentCount(size: Int) -> Int { max(1, (size + fragmentSize - 1) / fragmentSize) }

    public func module(_ key: SoftwareKey) -> SoftwareModule? {
        modules.first { $0.swType == key.swType && $0.swID == key.swID }
    }
}

/// DDM_AVAILABILITY event data: word 0 = SwID, word 1 = SwType | 0x100 when the module was
/// removed (clear when it was stored).
func ddmAvailabilityData(_ key: SoftwareKey, removed: Bool) -> [UInt8] {
    [key.swID, UInt32(key.swType) | (removed ? 0x100 : 0)].littleEndianBytes
}

extension IOP {
    /// The fields of word 4 of ExecSwDownload/Upload/Remove.
    private struct SwWord4 {
        var current: Int, total: Int, swType: UInt8, flags: UInt8
        init(_ w: UInt32) {
            current = Int(w & 0xFF); total = Int(w >> 8 & 0xFF); swType = UInt8(w >> 16 & 0xFF); flags = UInt8(w >> 24)
        }
    }

    /// ExecSwDownload (0xA9): word 4 = CurrentFragment (byte 0, 1-based) | TotalFragments (byte 1)
    /// | SwType (byte 2) | DownloadFlags (byte 3: bit 0 permanent, bit 1 override — clear means
    /// the module is experimental until ExecConfigValidate); word 5 = SwSize (total bytes);
    /// word 6 = SwID; one simple SGL element holding the fragment, whose byte count is the
    /// fragment size. Either direction flag is accepted (Linux sends 0xD0, IOP→host).
    ///
    /// Fragments of one (SwType, SwID) must come in order 1…Total; each is 8192 bytes except the
    /// last, which makes the total SwSize. Fragment 1 starts (or restarts) an assembly; the last
    /// commits the module to the store, replacing one with the same key. Failures
    /// (ERROR_NO_DATA_TRANSFER): INVALID_PARAMETER for Total 0, Current 0 or > Total, a SwSize
    /// Total fragments cannot carry, a wrong fragment size, a fragment out of order or not
    /// matching the assembly's Total/SwSize; INSUFFICIENT_RESOURCE_HARD when the store lacks room
    /// (capacity or module limit) — for fragment 1 also when the module is bigger than the
/// capacity or as many other assemblies as the module limit are under way. A rejected
/// fragment changes nothing, the assembly included.
    /// A committed module raises DDM_AVAILABILITY on TID 0.
    mutating func swDownload(_ request: MessageFrame, memory: BusMemory) throws(RequestFault) -> MessageFrame? {
        try Transfer.require(request, words: 7)
        let w = SwWord4(request.words[4])
        let swSize = Int(request.words[5])
        let key = SoftwareKey(swType: w.swType, swID: request.words[6])
        let elements = try Transfer.elements(of: request, minimum: 1)
        let fragSize = SoftwareStore.fragmentSize
        guard w.total >= 1, w.current >= 1, w.current <= w.total,
              swSize > (w.total - 1) * fragSize, swSize <= w.total * fragSize else { throw .invalid }
        let expected = w.current < w.total ? fragSize : swSize - (w.total - 1) * fragSize
        guard elements[0].byteCount == expected else { throw .invalid }
        var assembly: DownloadAssembly
        if w.current == 1 {
            // Assemblies under way are bounded by the store: each no bigger than its capacity (it
            // could never be stored) and no more of them than its module limit — else a client
            // starting downloads under ever new SwIDs would make the IOP hold memory without bound.
            let others = downloads.keys.filter { $0 != key }.count
            guard swSize <= store.capacity, others < store.moduleLimit else {
                throw RequestFault(.errorNoDataTransfer, .insufficientResourceHard)
            }
            assembly = DownloadAssembly(totalFragments: w.total, swSize: swSize, nextFragment: 1, bytes: [],
                                        permanent: w.flags & 0x01 != 0, experimental: w.flags & 0x02 == 0)
            assembly.bytes.reserveCapacity(swSize)
        } else {
            guard let a = downloads[key], a.nextFragment == w.current, a.totalFragments == w.total,
                  a.swSize == swSize else { throw .invalid }
            assembly = a
        }
        let fragment = try Transfer.bytes(of: elements[0], memory: memory)
        assembly.bytes.append(contentsOf: fragment)
        assembly.nextFragment += 1
        if w.current < w.total {
            downloads[key] = assembly
            return MessageFrame.reply(to: request)
        }
        // The last fragment: commit if the store has room.
        let old = store.module(key)
        let used = store.usedSpace - (old?.bytes.count ?? 0) + assembly.bytes.count
        let count = store.modules.count - (old == nil ? 0 : 1) + 1
        guard used <= store.capacity, count <= store.moduleLimit else {
            throw RequestFault(.errorNoDataTransfer, .insufficientResourceHard)
        }
        let module = SoftwareModule(swType: key.swType, swID: key.swID, bytes: assembly.bytes,
                                    permanent: assembly.permanent, experimental: assembly.experimental,
                                    name: old?.name ?? "")
        if let i = store.modules.firstIndex(where: { $0.swType == key.swType && $0.swID == key.swID }) {
            store.modules[i] = module
        } else {
            store.modules.append(module)
        }
        downloads[key] = nil
        raiseEvent(tid: .executive, indicator: .ddmAvailability, data: ddmAvailabilityData(key, removed: false))
        return MessageFrame.reply(to: request)
    }

    /// ExecSwUpload (0xAB): same frame as ExecSwDownload; writes fragment CurrentFragment of the
    /// stored module (8192-byte fragments, the last shorter) into the SGL buffer (as much as
    /// fits). TotalFragments and SwSize of the request are not checked (a client learns them from
    /// the reply). Reply word 5 = module size in bytes, word 6 = number of fragments. No such
    /// module or a fragment out of range → ERROR_NO_DATA_TRANSFER / INVALID_PARAMETER.
    mutating func swUpload(_ request: MessageFrame, memory: BusMemory) throws(RequestFault) -> MessageFrame? {
        try Transfer.require(request, words: 7)
        let w = SwWord4(request.words[4])
        let key = SoftwareKey(swType: w.swType, swID: request.words[6])
        let elements = try Transfer.elements(of: request, minimum: 1)
        let buffer = try Transfer.buffer(elements[0], memory: memory)
        guard let module = store.module(key) else { throw .invalid }
        let fragments = SoftwareStore.fragmentCount(size: module.bytes.count)
        guard w.current >= 1, w.current <= fragments else { throw .invalid }
        let start = (w.current - 1) * SoftwareStore.fragmentSize
        let end = min(module.bytes.count, start + SoftwareStore.fragmentSize)
        try Transfer.write(Array(module.bytes[start..<end]), to: buffer, memory: memory)
        return MessageFrame.reply(to: request, payload: [UInt32(module.bytes.count), UInt32(fragments)])
    }

    /// ExecSwRemove (0xAD): word 4 = SwType (byte 2) | RemoveFlags (byte 3); word 5 = SwSize
    /// (0 = unknown, else it must equal the module's size); word 6 = SwID. Reply word 5 = the
    /// module's real size. No such module or a size mismatch → ERROR_NO_DATA_TRANSFER /
    /// INVALID_PARAMETER, nothing removed. A removal raises DDM_AVAILABILITY on TID 0.
    mutating func swRemove(_ request: MessageFrame) throws(RequestFault) -> MessageFrame? {
        try Transfer.require(request, words: 7)
        let w = SwWord4(request.words[4])
        let key = SoftwareKey(swType: w.swType, swID: request.words[6])
        let size = Int(request.words[5])
        guard let i = store.modules.firstIndex(where: { $0.swType == key.swType && $0.swID == key.swID }) else {
            throw .invalid
        }
        let real = store.modules[i].bytes.count
        guard size == 0 || size == real else { throw .invalid }
        store.modules.remove(at: i)
        raiseEvent(tid: .executive, indicator: .ddmAvailability, data: ddmAvailabilityData(key, removed: true))
        return MessageFrame.reply(to: request, word: UInt32(real))
    }
}
