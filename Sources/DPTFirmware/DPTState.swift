import I2OFormats
import IOPModel

/// What a DPT controller keeps across a power cycle (a state directory's JSON): the disks (their
/// states), the LSUs (with their tasks' progress) and the settings. The identity (vendor, model,
/// buses, flash sizes) stays the fixture's.
public struct DPTConfiguration: Codable, Hashable, Sendable {
    public var disks: [DPTDisk]
    public var arrays: [DPTArray]
    public var settings: DPTSettings
}

extension DPTController {
    public var configuration: DPTConfiguration {
        get { DPTConfiguration(disks: disks, arrays: arrays, settings: settings) }
        set { disks = newValue.disks; arrays = newValue.arrays; settings = newValue.settings }
    }

    public var persistentConfiguration: (any Encodable & Sendable)? { configuration }

    /// `drive ADDRESS failed|replaced|optimal|removed` (a fault rule's `firmware` action; the
    /// control channel's `drive` does the same).
    public mutating func controlCommand(_ words: [String]) -> String? {
        guard words.count == 3, words[0] == "drive" else {
            return "the DPT firmware takes `drive ADDRESS failed|replaced|optimal|removed`, not '\(words.joined(separator: " "))'"
        }
        guard let d = disks.firstIndex(where: { $0.address == words[1].lowercased() }) else {
            return "no drive at '\(words[1])'; drives: " + disks.map(\.address).joined(separator: ", ")
        }
        if words[2].lowercased() == "removed" { return removeDrive(d) }
        guard let state = DPTDisk.Status(rawValue: words[2].lowercased()) else {
            return "unknown drive state '\(words[2])'; known: failed, replaced, optimal, removed"
        }
        setDriveState(d, state)
        return nil
    }

    /// This controller with the configuration a state file holds; one that does not fit (an LSU
    /// naming a disk that does not exist …) is refused.
    public func restoringConfiguration(from decoder: any Decoder) throws -> any IOPFirmware {
        var c = self
        c.configuration = try DPTConfiguration(from: decoder)
        let problems = c.problems()
        guard problems.isEmpty else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "the DPT configuration does not fit: " + problems.joined(separator: "; ")))
        }
        return c
    }
}
