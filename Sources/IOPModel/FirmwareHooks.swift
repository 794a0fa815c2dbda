import I2OFormats

/// Where the generic IOP hands a request to its vendor firmware module (`IOPFirmware`).
extension IOP {
    /// A private message (function 0xFF): word 4 = XFunctionCode | OrganizationID << 16.
    /// The firmware module of that OrganizationID answers it; an IOP without a module, or a
    /// message of another OrganizationID, answers UNSUPPORTED_FUNCTION.
    func privateMessage(_ request: MessageFrame, memory: BusMemory) throws(RequestFault) -> MessageFrame? {
        guard let firmware else { throw RequestFault(.unsupportedFunction) }
        try Transfer.require(request, words: 5)
        let w4 = request[word: 4]
        guard w4 >> 16 == UInt32(type(of: firmware).organizationID) else { throw RequestFault(.unsupportedFunction) }
        return try firmware.privateMessage(UInt16(w4 & 0xFFFF), request, memory: memory)
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
