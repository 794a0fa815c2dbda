import I2OFormats
import IOPModel

/// A background task on an LSU: build, rebuild, verify (with or without fixing). Its progress
/// (LAP bytes 20–23, blocks complete) advances with the firmware's clock at the LSU's rate.
public struct DPTTask: Hashable, Sendable, Codable {
    public enum Kind: String, Hashable, Sendable, Codable, CaseIterable {
        case build, rebuild, verify, verifyFix = "verify-fix"
    }
    public var kind: Kind
    /// Blocks done so far.
    public var done: UInt32
    /// Milliseconds of work not yet turned into whole blocks.
    public var carry: UInt64
    public init(kind: Kind, done: UInt32 = 0, carry: UInt64 = 0) { self.kind = kind; self.done = done; self.carry = carry }
}

extension DPTController {
    /// Blocks a task moves per second for each unit of LAP rate (byte 17, raidutil's rate × 10).
    public static let blocksPerSecondPerRate: UInt64 = 1000
    /// The rate an LSU whose rate byte is 0 works at (LOG SENSE 0x33 parameter 0x0E byte 7).
    public static let defaultRate: UInt8 = 50

    /// Blocks per second LSU `i`'s task advances.
    public func taskSpeed(_ i: Int) -> UInt64 {
        let r = arrays[i].rate == 0 ? Self.defaultRate : arrays[i].rate
        return UInt64(r) * Self.blocksPerSecondPerRate
    }

    /// `milliseconds` of the firmware's clock pass: every task advances; a task that reaches the
    /// LSU's capacity finishes (a rebuilt member becomes optimal, an event is logged).
    /// - Returns: whether anything visible changed.
    public mutating func timePassed(milliseconds: UInt64) -> Bool {
        settings.elapsedMilliseconds &+= milliseconds
        var changed = false
        for i in arrays.indices {
            guard var task = arrays[i].task else { continue }
            let total = UInt64(arrayBlocks(i))
            let work = task.carry + milliseconds * taskSpeed(i)
            let blocks = work / 1000
            task.carry = work % 1000
            let done = min(UInt64(task.done) + blocks, total)
            if done != UInt64(task.done) { changed = true }
            task.done = UInt32(done)
            arrays[i].task = task
            if done >= total { finishTask(i); changed = true }
        }
        return changed
    }

    /// Ends LSU `i`'s task as complete.
    mutating func finishTask(_ i: Int) {
        guard let task = arrays[i].task else { return }
        arrays[i].task = nil
        let name = addressText(i)
        switch task.kind {
        case .build:
            log(.info, .arrayBuilt, "array \(name) built")
        case .rebuild:
            for m in arrays[i].members where disks.indices.contains(m) && disks[m].status == .replaced {
                disks[m].status = .optimal
            }
            log(.info, .arrayRebuilt, "array \(name) rebuilt")
            if !arrays.indices.contains(where: { arrayStatus($0) == .degraded || arrayStatus($0) == .dead }) {
                settings.alarmSounding = false
            }
        case .verify, .verifyFix:
            log(.info, .verifyDone, "array \(name) verified, \(arrays[i].verifyErrors) errors")
        }
    }

    /// Starts a task on LSU `i` (replacing one that runs).
    mutating func startTask(_ i: Int, _ kind: DPTTask.Kind) {
        arrays[i].task = DPTTask(kind: kind)
        if kind == .verify || kind == .verifyFix { arrays[i].verifyErrors = 0 }
    }

    /// "b0t2d0" of LSU `i`.
    func addressText(_ i: Int) -> String {
        let a = arrayAddress(i)
        return "b\(a.bus)t\(a.id)d\(a.lun)"
    }

    // MARK: Failures

    /// Sets a drive's state as PAP MODE SELECT, the control channel or a fault rule does.
    /// Failing a member degrades its array (or kills it), sounds the alarm, logs an event and
    /// takes a hot spare in the failed drive's place where one is big enough (its rebuild
    /// starts). Replacing a failed member starts the rebuild onto it; forcing it optimal ends
    /// the failure without a rebuild.
    /// - Returns: whether the configuration changed.
    @discardableResult
    public mutating func setDriveState(_ disk: Int, _ state: DPTDisk.Status) -> Bool {
        guard disks.indices.contains(disk), disks[disk].status != state else { return false }
        pinIdentities()
        disks[disk].status = state
        let address = disks[disk].address
        switch state {
        case .failed:
            log(.critical, .driveFailed, "drive \(address) failed")
            if let a = array(of: disk), !arrays[a].isHotSpare {
                arrays[a].task = nil
                log(arrayStatus(a) == .dead ? .critical : .major, .arrayDegraded,
                    "array \(addressText(a)) \(arrayStatus(a) == .dead ? "dead" : "degraded")")
                if alarmEnabled { settings.alarmSounding = true }
                takeHotSpare(for: disk, in: a)
            }
        case .replaced:
            log(.info, .driveReplaced, "drive \(address) replaced")
            if let a = array(of: disk), !arrays[a].isHotSpare, arrayStatus(a) != .dead { startTask(a, .rebuild) }
        case .optimal:
            log(.info, .driveOptimal, "drive \(address) forced optimal")
            if let a = array(of: disk), arrays[a].task?.kind == .rebuild,
               !arrays[a].members.contains(where: { disks[$0].status == .replaced }) {
                arrays[a].task = nil
            }
        }
        return true
    }

    /// A drive plugged in while the card runs: it gets the lowest free TID (its own LCT entry,
    /// NEW_LCT_ENTRY) and is unconfigured. - Returns: what is wrong (an address in use, a bus the
    /// card lacks), nil when it is in.
    public mutating func insertDrive(_ disk: DPTDisk) -> String? {
        var d = disk
        guard Int(d.bus) < buses.count else { return "the controller has no bus \(d.bus)" }
        guard d.id <= 0x7F, d.lun <= 7, d.id != buses[Int(d.bus)].initiatorID else {
            return "b\(d.bus)t\(d.id)d\(d.lun) is no drive address on this bus (ids 0–127 but the initiator's, LUNs 0–7)"
        }
        guard !disks.contains(where: { $0.address == d.address }) else { return "a drive is already at \(d.address)" }
        pinIdentities()
        for i in disks.indices where disks[i].tid == nil { disks[i].tid = diskTID(i).rawValue }
        d.tid = freeTID()
        d.status = .optimal
        disks.append(d)
        log(.info, .driveInserted, "drive \(d.address) inserted")
        return nil
    }

    /// A drive pulled while the card runs: only one in no LSU (a failed member a hot spare
    /// replaced, an unconfigured one); its LCT entry goes (MODIFIED_LCT).
    public mutating func removeDrive(_ i: Int) -> String? {
        guard disks.indices.contains(i) else { return "no such drive" }
        if let a = array(of: i) { return "drive \(disks[i].address) belongs to the LSU at \(addressText(a)); fail it or delete the LSU first" }
        pinIdentities()
        for k in disks.indices where disks[k].tid == nil { disks[k].tid = diskTID(k).rawValue }
        let address = disks[i].address
        disks.remove(at: i)
        for a in arrays.indices { arrays[a].members = arrays[a].members.map { $0 > i ? $0 - 1 : $0 } }
        log(.info, .driveRemoved, "drive \(address) removed")
        return nil
    }

    /// Puts a hot spare in place of `failed` in array `a` and starts the rebuild, as a real
    /// controller does on its own: the smallest spare that holds the member's blocks.
    mutating func takeHotSpare(for failed: Int, in a: Int) {
        guard arrayStatus(a) == .degraded, let k = arrays[a].members.firstIndex(of: failed) else { return }
        let need = memberBlocks(a)
        let spares = arrays.indices.filter { s in
            arrays[s].isHotSpare && arrays[s].members.count == 1 && disks[arrays[s].members[0]].status == .optimal
                && disks[arrays[s].members[0]].blocks >= need
        }
        guard let s = spares.min(by: { disks[arrays[$0].members[0]].blocks < disks[arrays[$1].members[0]].blocks }) else { return }
        let spare = arrays[s].members[0]
        arrays.remove(at: s)
        let a = s < a ? a - 1 : a
        arrays[a].members[k] = spare
        disks[spare].status = .replaced
        log(.major, .hotSpareTaken, "hot spare \(disks[spare].address) replaces \(disks[failed].address) in array \(addressText(a))")
        startTask(a, .rebuild)
    }

    /// Blocks each member of LSU `a` holds.
    func memberBlocks(_ a: Int) -> UInt32 {
        if let b = arrays[a].memberBlocks { return b }
        let sizes = arrays[a].members.compactMap { disks.indices.contains($0) ? disks[$0].blocks : nil }
        guard let smallest = sizes.min() else { return 0 }
        return smallest > Self.reservedBlocksPerMember ? smallest - Self.reservedBlocksPerMember : 0
    }
}
