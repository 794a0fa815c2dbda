import I2OABI
import I2ODevice
import I2OFormats

/// Decodes an ioctl's argument struct by field.
public enum TraceArgs {
    /// Byte offsets of the pointer fields of `cmd`'s struct, and the pointer width.
    public static func pointerFields(_ cmd: IoctlCommand) -> (offsets: [Int], width: Int) {
        IoctlStructs.pointerOffsets(cmd.kind, cmd.abi)
    }

    public static func decode(_ cmd: IoctlCommand, _ b: [UInt8]) -> [TraceField] {
        let abi = cmd.abi
        switch cmd.kind {
        case .getIOPs:
            return [TraceField("iops", traceHex(b))]
        case .hrtGet, .lctGet:
            let s = IoctlStructs.HrtLct(b, abi: abi)
            return [TraceField("iop", "\(s.iop)"), TraceField("resbuf", hex(s.resbuf)), TraceField("reslen", hex(s.reslen))]
        case .parmGet, .parmSet:
            let s = IoctlStructs.PsetGet(b, abi: abi)
            return [TraceField("iop", "\(s.iop)"), TraceField("tid", hex(s.tid)), TraceField("opbuf", hex(s.opbuf)),
                    TraceField("oplen", "\(s.oplen)"), TraceField("resbuf", hex(s.resbuf)), TraceField("reslen", hex(s.reslen))]
        case .swDownload, .swUpload, .swDelete:
            let s = IoctlStructs.SwXfer(b, abi: abi)
            return [TraceField("iop", "\(s.iop)"), TraceField("flags", hex(s.flags)), TraceField("sw_type", hex(s.swType)),
                    TraceField("sw_id", hex(s.swID)), TraceField("buf", hex(s.buf)), TraceField("swlen", hex(s.swlen)),
                    TraceField("maxfrag", hex(s.maxfrag)), TraceField("curfrag", hex(s.curfrag))]
        case .html:
            let s = IoctlStructs.HTML(b, abi: abi)
            return [TraceField("iop", "\(s.iop)"), TraceField("tid", hex(s.tid)), TraceField("page", "\(s.page)"),
                    TraceField("resbuf", hex(s.resbuf)), TraceField("reslen", hex(s.reslen)), TraceField("qbuf", hex(s.qbuf)),
                    TraceField("qlen", "\(s.qlen)")]
        case .eventRegister:
            guard b.count >= 12 else { return [] }
            let s = IoctlStructs.EventRegistration(b)
            return [TraceField("iop", "\(s.iop)"), TraceField("tid", hex(s.tid)), TraceField("evt_mask", hex(s.eventMask, width: 8))]
        case .eventGet, .validate:
            return []
        case .passthru, .passthru32:
            let s = IoctlStructs.Passthru(b, kind: cmd.kind, abi: abi)
            return [TraceField("iop", "\(s.iop)"), TraceField("msg", hex(s.msg))]
        }
    }
}
