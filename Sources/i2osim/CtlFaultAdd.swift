import ArgumentParser
import Control

/// `i2osim ctl fault-add SOCKET …`: a fault rule — what it matches, its action, its count
/// (docs/control.md §Fault injection). The whole rule is checked as the daemon checks it (keys of
/// another action or count are refused) before it is sent.
struct CtlFaultAdd: CtlVerb {
    static let configuration = CommandConfiguration(commandName: "fault-add",
        abstract: "Add a fault rule; answers its id.",
        discussion: """
        A rule matches requests by any of --ioctl, --iop, --tid, --function, --operation, --group, \
        --file (none: every request); its --action (errno by default) says what happens, its \
        --count (always by default) when. The keys of an action or a count go with it only: \
        --errno with errno, --status/--detail with status, --block-status with block-status, --ms \
        with delay, --firmware with firmware; --n with times and every, --p/--seed with probability.

        Examples:
          i2osim ctl fault-add /tmp/i2o.ctl --ioctl I2OPARMGET --action errno --errno EIO --count once
          i2osim ctl fault-add /tmp/i2o.ctl --iop 0 --function UtilParamsGet --group 0xF100 --action block-status --block-status BAD_KEY_ABORT
          i2osim ctl fault-add /tmp/i2o.ctl --ioctl I2OSWDL --action hang --count times --n 2
          i2osim ctl fault-add /tmp/i2o.ctl --tid 0x201 --action firmware --firmware "drive b0t1d0 failed" --count every --n 1000
        """)
    @OptionGroup var connection: CtlConnection

    @Option(help: CtlKey.help("ioctl", "Match: the ioctl, any case.", "IOCTL"), completion: CtlKey.completion("ioctl"),
            transform: CtlKey.check("fault-add", "ioctl"))
    var ioctl: String?
    @Option(help: CtlKey.help("iop", "Match: the IOP the frame is posted to.", "N"), transform: CtlKey.check("fault-add", "iop"))
    var iop: String?
    @Option(help: CtlKey.help("tid", "Match: the frame's TargetAddress.", "TID"), transform: CtlKey.check("fault-add", "tid"))
    var tid: String?
    @Option(help: CtlKey.help("function", "Match: the frame's I2O function.", "FUNCTION"), completion: CtlKey.completion("function"),
            transform: CtlKey.check("fault-add", "function"))
    var function: String?
    @Option(help: CtlKey.help("operation", "Match: a parameter operation in the frame's list.", "OPERATION"),
            completion: CtlKey.completion("operation"), transform: CtlKey.check("fault-add", "operation"))
    var operation: String?
    @Option(help: CtlKey.help("group", "Match: a parameter group in the frame's list.", "GROUP"), transform: CtlKey.check("fault-add", "group"))
    var group: String?
    @Option(help: CtlKey.help("file", "Match: the open file (the number list shows).", "FILE"), transform: CtlKey.check("fault-add", "file"))
    var file: String?

    @Option(help: CtlKey.help("action", "What happens (default errno).", "ACTION"), completion: CtlKey.completion("action"),
            transform: CtlKey.check("fault-add", "action"))
    var action: String?
    @Option(help: CtlKey.help("errno", "With --action errno: the errno (default EIO).", "ERRNO"), completion: CtlKey.completion("errno"),
            transform: CtlKey.check("fault-add", "errno"))
    var errno: String?
    @Option(help: CtlKey.help("status", "With --action status: the ReqStatus.", "STATUS"), completion: CtlKey.completion("status"),
            transform: CtlKey.check("fault-add", "status"))
    var status: String?
    @Option(help: CtlKey.help("detail", "With --action status: the DetailedStatus (default 0).", "DETAIL"),
            completion: CtlKey.completion("detail"), transform: CtlKey.check("fault-add", "detail"))
    var detail: String?
    @Option(help: CtlKey.help("block-status", "With --action block-status: the BlockStatus.", "STATUS"),
            completion: CtlKey.completion("block-status"), transform: CtlKey.check("fault-add", "block-status"))
    var blockStatus: String?
    @Option(help: CtlKey.help("ms", "With --action delay: the delay in milliseconds.", "MS"), transform: CtlKey.check("fault-add", "ms"))
    var ms: String?
    @Option(help: ArgumentHelp("With --action firmware: the command for the IOP's firmware module (a RAID controller: \"drive b0t1d0 failed\").",
                               valueName: "COMMAND"))
    var firmware: String?

    @Option(help: CtlKey.help("count", "When it fires (default always).", "COUNT"), completion: CtlKey.completion("count"),
            transform: CtlKey.check("fault-add", "count"))
    var count: String?
    @Option(help: CtlKey.help("n", "With --count times or every: n.", "N"), transform: CtlKey.check("fault-add", "n"))
    var n: String?
    @Option(help: CtlKey.help("p", "With --count probability: the probability, 0…1.", "P"), transform: CtlKey.check("fault-add", "p"))
    var p: String?
    @Option(help: CtlKey.help("seed", "With --count probability: the generator's seed (default 1).", "SEED"),
            transform: CtlKey.check("fault-add", "seed"))
    var seed: String?

    var keys: KeyValuePairs<String, String?> {
        ["ioctl": ioctl, "iop": iop, "tid": tid, "function": function, "operation": operation, "group": group, "file": file,
         "action": action, "errno": errno, "status": status, "detail": detail, "block-status": blockStatus, "ms": ms,
         "firmware": firmware, "count": count, "n": n, "p": p, "seed": seed]
    }
}
