import I2OFormats

/// Where the generic IOP hands a request to its vendor firmware module (`IOPFirmware`).
extension IOP {
    /// A private message (function 0xFF): word 4 = XFunctionCode | OrganizationID << 16.
    /// The firmware module of that OrganizationID answers it; an IOP without a module, or a
    /// message of another OrganizationID, answers UNSUPPORTED_FUNCTION. A message that changes
    /// the module leaves the changed module in the IOP (`updateFirmware`).
    mutating func privateMessage(_ request: MessageFrame, memory: BusMemory) throws(RequestFault) -> MessageFrame? {
        guard var module = firmware else { throw RequestFault(.unsupportedFunction) }
        try Transfer.require(request, words: 5)
        let w4 = request[word: 4]
        guard w4 >> 16 == UInt32(type(of: module).organizationID) else { throw RequestFault(.unsupportedFunction) }
        let answer = try module.handlePrivateMessage(UInt16(w4 & 0xFFFF), request, memory: memory, data: blockDevices)
        if answer.changed { updateFirmware(module, configurationChanged: answer.configurationChanged) }
        return answer.reply
    }

    /// Replaces the firmware module with `module` (a changed copy of it). When
    /// `configurationChanged`, the devices, HRT and boot device are derived again and the
    /// differences put in the LCT: a derived device that is gone is removed, a new one added, one
    /// whose entry differs (a UserTID) replaced; devices the module does not derive are kept, as
    /// are groups and event capabilities a fixture added to derived devices. The whole change is
    /// one step of the LCT change indicator (the changed entries carry it); TID 0 raises
    /// NEW_LCT_ENTRY for each new entry and MODIFIED_LCT for each removed or replaced one (event
    /// data = the 36-byte entry), and the waiting ExecLctNotify requests the change concerns are
    /// completed.
    public mutating func updateFirmware(_ module: any IOPFirmware, configurationChanged: Bool) {
        let old = firmware
        firmware = module
        guard configurationChanged else { return }
        defer { syncStorage() }   // the data follows the devices' new storage descriptions
        let before = Set((old?.derivedDevices() ?? []).map(\.tid))
        let derived = module.derivedDevices()
        let now = Set(derived.map(\.tid))
        let step = lctChangeIndicator &+ 1
        var changed: [LCTEntry] = []
        var events: [(EventIndicator, LCTEntry)] = []
        for tid in order where before.contains(tid) && !now.contains(tid) {
            guard let d = devices.removeValue(forKey: tid) else { continue }
            eventRegistrations.removeAll { $0.tid == tid }
            lastConfigQuery[tid] = nil
            changed.append(d.entry)
            events.append((.modifiedLCT, d.entry))
        }
        order.removeAll { before.contains($0) && !now.contains($0) }
        for d in derived {
            guard var current = devices[d.tid] else {
                var added = d
                added.entry.changeIndicator = step
                devices[d.tid] = added
                order.append(d.tid)
                changed.append(added.entry)
                events.append((.newLCTEntry, added.entry))
                continue
            }
            var e = d.entry
            e.changeIndicator = current.entry.changeIndicator
            // What a fixture added to a derived entry (its event capabilities) is not the module's.
            if e.eventCapabilities == 0 { e.eventCapabilities = current.entry.eventCapabilities }
            if e != current.entry {
                e.changeIndicator = step
                changed += [current.entry, e]
                events.append((.modifiedLCT, e))
                current.entry = e
            }
            for (g, group) in d.groups where current.groups[g] != group { current.groups[g] = group }
            if current.blockStorage != d.blockStorage { current.blockStorage = d.blockStorage }
            devices[d.tid] = current
        }
        var table = module.derivedHRT()
        if table.entries != hrt.entries {
            table.changeIndicator = hrt.changeIndicator &+ 1
            hrt = table
        }
        let boot = module.derivedBootDevice
        guard !changed.isEmpty || boot != bootDevice else { return }
        bootDevice = boot
        lctChangeIndicator = step
        for (indicator, entry) in events {
            raiseEvent(tid: .executive, indicator: indicator, data: entry.encodedWords.littleEndianBytes)
        }
        lctChanged(changed)
    }

    /// Gives the firmware module a command (`IOPFirmware.controlCommand`); what it changes reaches
    /// the LCT as through `updateFirmware`. - Returns: nil when carried out, else what is wrong.
    public mutating func firmwareCommand(_ words: [String]) -> String? {
        guard var module = firmware else { return "IOP \(unit.rawValue) has no firmware module" }
        if let problem = module.controlCommand(words) { return problem }
        updateFirmware(module, configurationChanged: true)
        return nil
    }

    /// `milliseconds` of the firmware module's clock go by (its background tasks move on); a
    /// configuration change they make reaches the LCT as through `updateFirmware`.
    /// - Returns: whether the module's tasks changed anything.
    @discardableResult
    public mutating func advanceFirmwareClock(milliseconds: UInt64) -> Bool {
        guard var module = firmware else { return false }
        let changed = module.timePassed(milliseconds: milliseconds)
        updateFirmware(module, configurationChanged: changed)
        return changed
    }

    /// ExecLctNotify for a firmware whose LCT header counts the whole table
    /// (`IOPFirmware.lctTableSizeCountsWholeTable`): as `lctNotify`, but a reply sent at once has
    /// TableSize set to the whole table's size in words even when the buffer held fewer entries,
    /// so a host that reads the 12-byte header first sizes its second read from it.
    mutating func lctNotifyCountingWholeTable(_ request: MessageFrame, memory: BusMemory) throws(RequestFault) -> MessageFrame? {
        guard let reply = try lctNotify(request, memory: memory) else { return nil }
        guard reply.reqStatus == .success, let element = try Transfer.elements(of: request, minimum: 1).first else { return reply }
        let out = try Transfer.buffer(element, memory: memory)
        let fullWords = reply[word: 5] / 4
        guard out.count >= 2, fullWords <= 0xFFFF else { return reply }
        try Transfer.write([UInt8(fullWords & 0xFF), UInt8(fullWords >> 8)], to: out, memory: memory)
        return reply
    }
}
