import ArgumentParser

@main
struct I2OSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "i2osim",
        abstract: "A simulator of I2O IOPs (the RAID cards of about 2000), described by YAML fixtures.",
        discussion: """
        A machine is one or more IOPs, each with its status block, hardware resource table (HRT), \
        logical configuration table (LCT), devices, parameter groups, HTML configuration pages and \
        software store. Machines are written as YAML fixtures (see docs/fixture-format.md); a \
        default machine, an Adaptec 3200S-style RAID card, is built in.

        Examples:
          i2osim show                          the built-in default machine
          i2osim show fixtures/intel-u3-1l.yaml
          i2osim show --json fixtures/two-iops.yaml | jq '.iops[0].lct'
          i2osim validate fixtures/*.yaml      check fixtures; errors as file:line: key: problem — fix
        """,
        subcommands: [Validate.self, Show.self, Serve.self, Run.self, Record.self, TraceCommand.self, Replay.self])
}
