import ArgumentParser
import I2OFormats
import IoctlEngine
import Simulator

/// The dpt_i2o nodes among the names a command serves (`dpti0`, `/dev/dpti1`): docs/dpti.md.
/// `dptiN` is the management node of IOP unit N, a node of its own beside /dev/i2o/ctl.
enum DPTINames {
    /// The names (as given) that name dpt_i2o nodes.
    static func dptiNames(_ names: [String]) -> [String] { names.filter { DPTINode.unit(named: $0) != nil } }

    /// A node per dpti name over `simulator`'s machine, by name; a name whose IOP the machine lacks ends the command.
    static func nodes(_ names: [String], simulator: Simulator) throws -> [String: DPTINode] {
        let engine = simulator.engine
        var nodes: [String: DPTINode] = [:]
        for name in dptiNames(names) {
            guard let unit = DPTINode.unit(named: name), let node = simulator.dptiNode(unit: unit) else { continue }
            nodes[name] = node
        }
        if let missing = dptiNames(names).first(where: { nodes[$0] == nil }), let unit = DPTINode.unit(named: missing) {
            let nodes = engine.machine.units.map { "dpti\($0.rawValue) (IOP \($0.rawValue))" }.joined(separator: ", ")
            throw ValidationError("\(missing) is the node of IOP unit \(unit.rawValue), which the machine does not have; "
                                  + "its dpt_i2o nodes are \(nodes.isEmpty ? "none" : nodes)")
        }
        return nodes
    }

    /// Checks that dpti names go with a simulated machine (a trace or a real node answers /dev/i2o/ctl's ioctls only).
    static func validateSimulated(_ names: [String], source: String?) throws {
        if let source, let d = dptiNames(names).first {
            throw ValidationError("\(d) is served from a simulated machine; \(source) answers /dev/i2o/ctl's ioctls only")
        }
    }
}
