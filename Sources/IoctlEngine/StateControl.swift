import I2OFormats
import IOPModel

// What the control channel does to a running engine beyond `withMachine` and the fault API.

extension Engine {
    /// Sets field `field` of group `group` of (`unit`, `tid`) to `value` (the field's bytes,
    /// little-endian for numbers) as a UtilParamsSet FIELD_SET from the host would, past the
    /// fault layer: the FIELD_MODIFIED event reaches registered files and, with a state
    /// directory, the value is kept. - Returns: nil on success, else what went wrong.
    public func setParameter(unit: IOPUnit, tid: TID, group: UInt16, field: UInt16, value: [UInt8]) -> String? {
        let op = ParamOperation(code: .fieldSet, group: group, fields: .indices([field]), values: value)
        let list = OperationList([op]).encoded()
        let outcome: String? = locked { s in
            guard s.machine.hasIOP(unit) else { return "no IOP \(unit.rawValue)" }
            let bus = s.bus()
            let result = bus.map(zeroes: 4096)
            let frame = EngineState.paramsFrame(.utilParamsSet, tid: tid, operations: list, resultCapacity: 4096,
                                                resultAddress: result)
            guard let reply = s.postToModel(frame, to: unit, memory: bus) else { return "the IOP gave no reply" }
            guard reply.reqStatus == .success else { return "the IOP answered \(reply.reqStatus)" }
            let bytes = bus.read(result, count: Int(reply[word: 5])) ?? []
            guard bytes.count >= 8 else { return "the IOP wrote no result block" }
            let status = BlockStatus(rawValue: bytes[6])
            return status == .success ? nil : "BlockStatus \(status)"
        }
        return outcome
    }

    /// Replaces the whole machine (a restored snapshot). Open files stay open, but their event
    /// registrations are gone from the new IOPs: clients register again.
    public func replaceMachine(_ description: MachineDescription) {
        locked { s in
            s.machine = Machine(description, media: s.machine.media)
            for id in s.files.keys { s.files[id]?.registrations.removeAll() }
            if personality is any KernelPersonality { s.loadDriverTables() }
        }
    }
}
