import I2OFormats

/// Why a request cannot be carried out: the status of the failing reply the IOP sends instead.
public struct RequestFault: Error, Sendable {
    public var status: ReqStatus
    public var detail: DetailedStatus
    public init(_ status: ReqStatus, _ detail: DetailedStatus) {
        self.status = status; self.detail = detail
    }
    /// ERROR_NO_DATA_TRANSFER with `detail`.
    public init(_ detail: DetailedStatus) { self.init(.errorNoDataTransfer, detail) }
    public static let tooSmall = RequestFault(.messageTooSmall)
    public static let missing = RequestFault(.missingParameter)
    public static let invalid = RequestFault(.invalidParameter)

    public func reply(to request: MessageFrame) -> MessageFrame {
        MessageFrame.reply(to: request, status: status, detail: detail)
    }
}

/// A host buffer the IOP writes into (an IOP→host element, or any simple element it writes).
public struct OutBuffer: Sendable {
    public var address: UInt64
    public var count: Int
}

/// Reading a request: its size, SGL and the host buffers the SGL names. Every problem is a
/// `RequestFault`, never a trap. Public for the firmware modules (`IOPFirmware`).
public enum Transfer {
    /// The request must carry at least `words` words (MessageSize and the words present).
    public static func require(_ request: MessageFrame, words: Int) throws(RequestFault) {
        guard request.messageSize.rawValue >= words, request.words.count >= words else { throw .tooSmall }
    }

    /// The SGL elements of `request`; at least `minimum` of them.
    public static func elements(of request: MessageFrame, minimum: Int) throws(RequestFault) -> [SGLElement] {
        var reader = try sgl(of: request)
        var elements: [SGLElement] = []
        elements.reserveCapacity(max(minimum, 2))
        do { while let e = try reader.next() { elements.append(e) } } catch { throw .invalid }
        guard elements.count >= minimum else { throw .missing }
        return elements
    }

    /// A reader of `request`'s SGL, for a handler that takes its elements one by one (`element`).
    public static func sgl(of request: MessageFrame) throws(RequestFault) -> SGL.Reader {
        guard request.sglOffset.rawValue != 0 else { throw .missing }
        guard request.sglOffset.rawValue < request.messageSize.rawValue,
              request.messageSize.rawValue <= request.words.count else { throw .tooSmall }
        return SGL.Reader(frame: request)
    }

    /// The next element of an SGL being read; one that does not decode → invalid, none left → missing.
    public static func element(_ reader: inout SGL.Reader) throws(RequestFault) -> SGLElement {
        let e: SGLElement?
        do { e = try reader.next() } catch { throw .invalid }
        guard let e else { throw .missing }
        return e
    }

    /// The bytes an element carries towards the IOP: immediate data, or the host buffer it names.
    public static func bytes(of element: SGLElement, memory: BusMemory) throws(RequestFault) -> [UInt8] {
        switch element {
        case let .immediate(_, bytes): return bytes
        case let .simple(_, count, address):
            guard let b = memory.read(address, count: count) else { throw .invalid }
            return b
        }
    }

    /// The host buffer an element names for the IOP to write into; it must be mapped whole.
    /// The direction bit is not checked: Linux sends downloads with the IOP→host flag byte, and
    /// an IOP that tolerates it should tolerate the reverse too.
    public static func buffer(_ element: SGLElement, memory: BusMemory) throws(RequestFault) -> OutBuffer {
        guard case let .simple(_, count, address) = element else { throw .invalid }
        guard memory.isMapped(address, count: count) else { throw .invalid }
        return OutBuffer(address: address, count: count)
    }

    /// Writes the prefix of `bytes` that fits into `buffer`; the number of bytes written.
    @discardableResult
    public static func write(_ bytes: [UInt8], to buffer: OutBuffer, memory: BusMemory) throws(RequestFault) -> Int {
        let n = min(bytes.count, buffer.count)
        guard n > 0 else { return 0 }
        let ok = n == bytes.count ? memory.write(bytes, at: buffer.address) : memory.write(Array(bytes[0..<n]), at: buffer.address)
        guard ok else { throw .invalid }
        return n
    }
}
