import ArgumentParser

@main
struct I2OSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "i2osim",
        abstract: "A simulator of I2O IOPs (the RAID cards of about 2000) served as /dev/i2o/ctl.",
        discussion: """
        A machine is one or more IOPs, each with its status block, hardware resource table (HRT), \
        logical configuration table (LCT), devices, parameter groups, HTML configuration pages and \
        software store, speaking I2O message frames. Machines are written as YAML fixtures (see \
        docs/fixture-format.md); a default machine, an Adaptec 3200S-style RAID card, is built in. \
        Clients reach it through /dev/i2o/ctl: a real character device (`serve`, through CUSE), or \
        the preload library for programs started by `run` or pointed at `serve --socket`.

        Examples:
          i2osim show                          the built-in default machine
          i2osim show --json fixtures/two-iops.yaml | jq '.iops[0].lct'
          i2osim validate fixtures/*.yaml      check fixtures; errors as file:line: key: problem — fix
          sudo i2osim serve --name i2o/ctl --name i2octl
          i2osim run -- ./my-i2o-tool         no root, no CUSE
          i2osim serve --socket /tmp/i2o.sock  long-lived, for LD_PRELOAD clients
          i2osim run -- i2osim web             the machine in a browser (prints its address)

        Every command has --help. Shell completion: i2osim --generate-completion-script bash \
        (or zsh, fish); e.g. i2osim --generate-completion-script bash > /etc/bash_completion.d/i2osim.
        """,
        version: i2osimVersion,
        subcommands: [Validate.self, Show.self, Serve.self, Run.self, Ctl.self, Record.self, TraceCommand.self, Replay.self, WebCommand.self])

    /// `i2osim ctl SOCKET VERB …` is read as `i2osim ctl VERB SOCKET …` (Ctl.reorder).
    static func main() {
        main(Ctl.reorder(Array(CommandLine.arguments.dropFirst())))
    }
}
