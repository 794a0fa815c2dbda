import ArgumentParser
import I2OFormats
import IoctlEngine

/// The dpt_i2o nodes among the names a command serves (`dpti0`, `/dev/dpti1`): docs/dpti.md.
/// `dptiN` is the management node of IOP unit N, a node of its own beside /dev/i2o/ctl.
enum DPTINames {
    /// The names (as given) that name dpt_i2o nodes.
    static func dptiNames(_ names: [String]) -> [String] { names.filter { DPTINode.unit(named: $0) != nil } }

    /// A node per dpti name over `engine`'s machine, by name; a name whose IOP the machine lacks ends the command.
    static func nodes(_ names: [String], engine: Engine) throws -> [String: DPTINode] {
        var nodes: [String: DPTINode] = [:]
        for name in dptiNames(names) {
            guard let unit = DPTINode.unit(named: name), let node = DPTINode(engine: engine, unit: unit) else { continue }
            nodes[name] = node
        }
        if let missing = dptiNames(names).first(where: { nodes[$0] == nil }), let unit = DPTINode.unit(named: missing) {
            let nodes = engine.machine.units.map { "dpti\($0.rawValue) (IOP \($0.rawValue))" }.joined(separator: ", ")
            throw ValidationError("\(missing) is the node of IOP unit \(unit.rawValue), which the machine does not have; "
                                  + "its dpt_i2o nodes are \(nodes.isEmpty ? "none" : nodes)")
        }
        return nodes
    }

    /// Checks what a preload socket can serve: its OPEN names no path, so one socket serves one node —
    /// /dev/i2o/ctl under any names, or a single dpti node (what a machine driven by dpt_i2o had).
    static func validateForSocket(_ names: [String], option: String) throws {
        let dpti = dptiNames(names)
        guard !dpti.isEmpty else { return }
        if let other = names.first(where: { DPTINode.unit(named: $0) == nil }) {
            throw ValidationError("\(option): \(other) and \(dpti[0]) are different nodes, and one preload socket serves one node; "
                                  + "serve them from two daemons, or both through CUSE (`i2osim serve` without --socket)")
        }
        if Set(dpti.compactMap { DPTINode.unit(named: $0) }).count > 1 {
            throw ValidationError("\(option): \(dpti.joined(separator: ", ")) are nodes of different IOPs, and one preload socket "
                                  + "serves one node; serve each from its own daemon, or all through CUSE")
        }
    }

    /// Checks that dpti names go with a simulated machine (a trace or a real node answers /dev/i2o/ctl's ioctls only).
    static func validateSimulated(_ names: [String], source: String?) throws {
        if let source, let d = dptiNames(names).first {
            throw ValidationError("\(d) is served from a simulated machine; \(source) answers /dev/i2o/ctl's ioctls only")
        }
    }
}
