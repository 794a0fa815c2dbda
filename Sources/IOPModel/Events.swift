import I2OFormats

/// One UtilEventRegister registration: events for `tid` whose indicator shares a bit with
/// `mask` are sent as replies to the registering frame (same initiator and contexts).
public struct EventRegistration: Hashable, Sendable {
    public var tid: TID
    public var initiator: TID
    public var initiatorContext: UInt32
    public var transactionContext: UInt32
    public var mask: EventIndicator
    public var version: MessageVersion
    public init(tid: TID, initiator: TID = .host, initiatorContext: UInt32, transactionContext: UInt32,
                mask: EventIndicator, version: MessageVersion = .v1_5) {
        self.tid = tid; self.initiator = initiator; self.initiatorContext = initiatorContext
        self.transactionContext = transactionContext; self.mask = mask; self.version = version
    }
}

extension IOP {
    /// UtilEventRegister (0x13): word 4 = EventMask. A registration is keyed by (target TID,
    /// InitiatorContext, TransactionContext); registering again replaces its mask, mask 0 cancels it.
    /// There is no immediate reply (nil): the events themselves are the replies. The IOP keeps at
    /// most `registrationLimit`; past it the oldest is forgotten (a host that never cancels —
    /// the kernels' `close` sends nothing — cannot make the IOP grow without bound).
    ///
    /// Linux 2.6.18 declares a 4-word frame although it puts the mask in word 4, and copies only
    /// the declared words to the IOP. The model reads word 4 if the frame carries it at all
    /// (beyond MessageSize included, as 2.4 posted 5 words); a frame without it is mask 0.
    mutating func eventRegister(_ request: MessageFrame) -> MessageFrame? {
        let mask = EventIndicator(rawValue: request.words.count > 4 ? request.words[4] : 0)
        let tid = request.target
        let ic = request.initiatorContext, tc = request.transactionContext
        eventRegistrations.removeAll { $0.tid == tid && $0.initiatorContext == ic && $0.transactionContext == tc }
        if !mask.isEmpty {
            if eventRegistrations.count >= Self.registrationLimit { eventRegistrations.removeFirst() }
            eventRegistrations.append(EventRegistration(tid: tid, initiator: request.initiator, initiatorContext: ic,
                                                        transactionContext: tc, mask: mask, version: request.version))
        }
        return nil
    }

    /// How many event registrations an IOP keeps.
    public static let registrationLimit = 1024

    /// Raises an event on `tid`: queues one event reply in `outbound` for every registration on
    /// that TID whose mask has any bit of `indicator`.
    ///
    /// The reply is a UtilEventRegister (0x13) reply frame: TargetAddress = `tid`, the
    /// registration's initiator and contexts, word 4 = the EventIndicator that fired, words 5… =
    /// `data` (at most 88 bytes, zero-padded to whole words); MessageSize = 5 + data words.
    public mutating func raiseEvent(tid: TID, indicator: EventIndicator, data: [UInt8]) {
        var bytes = Array(data.prefix(EventInfo.dataCapacity))
        bytes.padToWord()
        let dataWords = (try? bytes.littleEndianWords(what: "event data")) ?? []
        for r in eventRegistrations where r.tid == tid && !r.mask.intersection(indicator).isEmpty {
            outbound.append(MessageFrame(function: .utilEventRegister, target: tid, initiator: r.initiator,
                                         initiatorContext: r.initiatorContext, transactionContext: r.transactionContext,
                                         flags: [.reply], version: r.version, payload: [indicator.rawValue] + dataWords))
        }
    }
}
