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

    @Option(key: "ioctl", of: "fault-add", help: "Match: the ioctl, any case.", valueName: "IOCTL") var ioctl: String?
    @Option(key: "iop", of: "fault-add", help: "Match: the IOP the frame is posted to.", valueName: "N") var iop: String?
    @Option(key: "tid", of: "fault-add", help: "Match: the frame's TargetAddress.", valueName: "TID") var tid: String?
    @Option(key: "function", of: "fault-add", help: "Match: the frame's I2O function.", valueName: "FUNCTION") var function: String?
    @Option(key: "operation", of: "fault-add", help: "Match: a parameter operation in the frame's list.", valueName: "OPERATION")
    var operation: String?
    @Option(key: "group", of: "fault-add", help: "Match: a parameter group in the frame's list.", valueName: "GROUP") var group: String?
    @Option(key: "file", of: "fault-add", help: "Match: the open file (the number list shows).", valueName: "FILE") var file: String?

    @Option(key: "action", of: "fault-add", help: "What happens (default errno).", valueName: "ACTION") var action: String?
    @Option(key: "errno", of: "fault-add", help: "With --action errno: the errno (default EIO).", valueName: "ERRNO") var errno: String?
    @Option(key: "status", of: "fault-add", help: "With --action status: the ReqStatus.", valueName: "STATUS") var status: String?
    @Option(key: "detail", of: "fault-add", help: "With --action status: the DetailedStatus (default 0).", valueName: "DETAIL") var detail: String?
    @Option(key: "block-status", of: "fault-add", help: "With --action block-status: the BlockStatus.", valueName: "STATUS") var blockStatus: String?
    @Option(key: "ms", of: "fault-add", help: "With --action delay: the delay in milliseconds.", valueName: "MS") var ms: String?
    @Option(help: ArgumentHelp("With --action firmware: the command for the IOP's firmware module (a RAID controller: \"drive b0t1d0 failed\").",
                               valueName: "COMMAND"))
    var firmware: String?

    @Option(key: "count", of: "fault-add", help: "When it fires (default always).", valueName: "COUNT") var count: String?
    @Option(key: "n", of: "fault-add", help: "With --count times or every: n.", valueName: "N") var n: String?
    @Option(key: "p", of: "fault-add", help: "With --count probability: the probability, 0…1.", valueName: "P") var p: String?
    @Option(key: "seed", of: "fault-add", help: "With --count probability: the generator's seed (default 1).", valueName: "SEED") var seed: String?

    var keys: KeyValuePairs<String, String?> {
        ["ioctl": ioctl, "iop": iop, "tid": tid, "function": function, "operation": operation, "group": group, "file": file,
         "action": action, "errno": errno, "status": status, "detail": detail, "block-status": blockStatus, "ms": ms,
         "firmware": firmware, "count": count, "n": n, "p": p, "seed": seed]
    }
}
