/// What went wrong decoding I2O bytes. Every decoder throws this, never traps.
public enum I2OFormatError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The bytes end before `what` is complete.
    case truncated(what: String, needed: Int, available: Int)
    /// The bytes are long enough but say something impossible.
    case invalid(what: String, reason: String)

    public var description: String {
        switch self {
        case let .truncated(what, needed, available):
            return "\(what): needs \(needed) bytes, only \(available) available"
        case let .invalid(what, reason):
            return "\(what): \(reason)"
        }
    }
}
