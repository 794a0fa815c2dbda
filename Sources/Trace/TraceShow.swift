import I2OABI
import I2ODevice
import IoctlEngine

/// One line per request for people.
public enum TraceShow {
    public static func line(_ r: TraceRecord, start: Double) -> String {
        let t = String(format: "%9.6f", r.time - start)
        let pid = r.pid.map { "pid \($0)" } ?? "pid ?"
        var s = "#\(r.seq) \(t) \(pid) file#\(r.file) "
        switch r.op {
        case "ioctl":
            let args = (r.args ?? []).filter { $0.name != "iops" }.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
            s += "\(r.ioctl ?? "?")[\(r.cmd ?? "?") \(r.abi ?? "?")](\(args.isEmpty ? r.arg ?? "" : args))"
            if r.ioctl == "unknown", let b = r.rounds?.first?.reads.first?.bytes { s += " bytes=\(b)" }
            let frames = (r.frames ?? []).map { f -> String in
                let st = f.reply.flatMap { $0.count > 4 ? $0[4] : nil } ?? "no reply"
                return "\(f.function)@\(f.iop)→\(st)"
            }
            if !frames.isEmpty { s += " frames[\(frames.joined(separator: ", "))]" }
            let rounds = r.rounds?.count ?? 0
            let stored = (r.stores ?? []).reduce(0) { $0 + $1.bytes.count / 2 }
            s += " rounds=\(rounds) stored=\(stored)B"
        case "read":
            s += "read(\(r.count ?? 0))"
            if let d = r.data { s += " \(d.count / 2)B" }
        case "write":
            s += "write(\(r.count ?? 0))"
        default:
            s += r.op
        }
        if r.needsRound == true { s += " → needs round (retry; preload: EFAULT)" }
        else if let e = r.errno { s += " → -1 \(e)" }
        else if let v = r.result { s += " → \(v)" }
        s += " \(r.micros)µs"
        return s
    }
}
