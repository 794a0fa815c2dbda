import ArgumentParser
import Control
import Foundation

// `i2osim ctl VERB SOCKET [--KEY VALUE …]` (or `i2osim ctl SOCKET VERB …`): one subcommand per
// control command (docs/control.md), each with its own --help, typed options and completion.
// The keys become the request's keys as they are (strings), so the wire protocol is the one a
// raw request speaks; each value is checked first by the daemon's own checks (ControlValues).

/// The socket and the output format, which every verb takes.
struct CtlConnection: ParsableArguments {
    @Argument(help: ArgumentHelp("The daemon's control socket (serve/run --control SOCKET).", valueName: "SOCKET"),
              completion: .file())
    var socket: String

    @Flag(help: "Print the JSON answer.")
    var json = false

    /// Sends one request line and prints the answer: its text (or the JSON with --json); a refusal
    /// on stderr with exit 1, no daemon with exit 69 (EX_UNAVAILABLE).
    func send(_ request: String) throws {
        let answer: String
        do throws(ControlError) { answer = try ControlClient.send(request, to: socket) } catch {
            printError("i2osim ctl: \(error)")
            throw ExitCode(69)
        }
        let parsed = (try? JSONSerialization.jsonObject(with: Data(answer.utf8))) as? [String: Any]
        let ok = parsed?["ok"] as? Bool ?? false
        if json {
            print(answer)
        } else if ok {
            print(parsed?["text"] as? String ?? answer)
        } else {
            printError("i2osim ctl: \(parsed?["error"] as? String ?? answer)")
        }
        if !ok { throw ExitCode.failure }
    }
}

/// A control command as a subcommand: its keys, as given.
protocol CtlVerb: ParsableCommand {
    var connection: CtlConnection { get }
    /// The request's keys and their values (nil: not given).
    var keys: KeyValuePairs<String, String?> { get }
}

extension CtlVerb {
    static var verb: String { configuration.commandName ?? "" }
    var keys: KeyValuePairs<String, String?> { [:] }

    var request: [String: Any] {
        var object: [String: Any] = ["command": Self.verb]
        for (key, value) in keys { if let value { object[key] = value } }
        return object
    }

    func validate() throws {
        do throws(ControlError) { try ControlValues.check(request: request) } catch { throw ValidationError(error.message) }
    }

    func run() throws {
        let data = try JSONSerialization.data(withJSONObject: request, options: [.sortedKeys])
        try connection.send(String(decoding: data, as: UTF8.self))
    }
}

/// The help, completion and check of one request key.
enum CtlKey {
    static func help(_ key: String, _ text: String, _ valueName: String) -> ArgumentHelp {
        let names = ControlValues.names(key)
        guard !names.isEmpty else { return ArgumentHelp(text, valueName: valueName) }
        let or = ControlValues.takesNumbers(key) ? "a number or one of" : "one of"
        return ArgumentHelp("\(text) (\(or): \(names.joined(separator: ", ")))", valueName: valueName)
    }
    static func completion(_ key: String) -> CompletionKind? {
        let names = ControlValues.names(key)
        return names.isEmpty ? nil : .list(names)
    }
    /// The value as given, once the daemon's check for `key` of `verb` passes.
    static func check(_ verb: String, _ key: String) -> @Sendable (String) throws -> String {
        { value in
            do throws(ControlError) { try ControlValues.check(verb, key: key, value: value) } catch {
                throw ValidationError(error.message)
            }
            return value
        }
    }
    /// A path taken in the caller's directory (the daemon runs in a directory of its own).
    static func absolute(_ path: String?) -> String? {
        guard let path, !path.hasPrefix("/") else { return path }
        return URL(fileURLWithPath: path).standardizedFileURL.path
    }
}

// `@Option(key: "tid", of: "set-param", help: "The device's TID.", valueName: "TID")`: the option
// of a request key of a control command, named by the key (--tid), with the key's help, completion
// and check (CtlKey).
extension Option where Value == String {
    init(key: String, of verb: String, help text: String, valueName: String) {
        self.init(name: .customLong(key), help: CtlKey.help(key, text, valueName), completion: CtlKey.completion(key),
                  transform: CtlKey.check(verb, key))
    }
}

extension Option where Value == String? {
    init(key: String, of verb: String, help text: String, valueName: String) {
        self.init(name: .customLong(key), help: CtlKey.help(key, text, valueName), completion: CtlKey.completion(key),
                  transform: CtlKey.check(verb, key))
    }
}

struct CtlList: CtlVerb {
    static let configuration = CommandConfiguration(commandName: "list",
        abstract: "IOPs (state, LCT change indicator, devices, modules, registrations) and open files.")
    @OptionGroup var connection: CtlConnection
}

struct CtlEvent: CtlVerb {
    static let configuration = CommandConfiguration(commandName: "event",
        abstract: "Raise an event as the IOP would; it reaches every open file registered for it.")
    @OptionGroup var connection: CtlConnection
    @Option(key: "iop", of: "event", help: "The IOP's unit.", valueName: "N") var iop: String
    @Option(key: "tid", of: "event", help: "The device's TID (default 0, the IOP).", valueName: "TID") var tid: String?
    @Option(key: "indicator", of: "event", help: "The event indicator.", valueName: "INDICATOR") var indicator: String
    @Option(key: "data", of: "event", help: "The event data, hex bytes (\"01 00 00 00\"), at most 88.", valueName: "HEX") var data: String?
    var keys: KeyValuePairs<String, String?> { ["iop": iop, "tid": tid, "indicator": indicator, "data": data] }
}

/// The LCT entry's keys of add-device and replace-entry.
struct CtlEntry: ParsableArguments {
    @Option(key: "iop", of: "add-device", help: "The IOP's unit.", valueName: "N") var iop: String
    @Option(key: "tid", of: "add-device", help: "The device's TID.", valueName: "TID") var tid: String
    @Option(key: "class", of: "add-device", help: "The device class.", valueName: "CLASS") var classID: String?
    @Option(key: "subclass", of: "add-device", help: "The subclass (default 0).", valueName: "N") var subclass: String?
    @Option(key: "parent", of: "add-device", help: "The parent TID (default 0).", valueName: "TID") var parent: String?
    @Option(key: "user", of: "add-device", help: "The user TID (default 0xFFF: none).", valueName: "TID") var user: String?
    var keys: KeyValuePairs<String, String?> {
        ["iop": iop, "tid": tid, "class": classID, "subclass": subclass, "parent": parent, "user": user]
    }
}

struct CtlAddDevice: CtlVerb {
    static let configuration = CommandConfiguration(commandName: "add-device",
        abstract: "Hot-plug a device: the LCT changes, NEW_LCT_ENTRY is raised, waiting LctNotifies complete.")
    @OptionGroup var connection: CtlConnection
    @OptionGroup var entry: CtlEntry
    var keys: KeyValuePairs<String, String?> { entry.keys }
    func validate() throws {
        if entry.classID == nil { throw ValidationError("add-device needs --class (a device class, e.g. RANDOM_BLOCK_STORAGE)") }
    }
}

struct CtlReplaceEntry: CtlVerb {
    static let configuration = CommandConfiguration(commandName: "replace-entry",
        abstract: "Change a device's LCT entry (any of --class, --subclass, --user, --parent): MODIFIED_LCT is raised.")
    @OptionGroup var connection: CtlConnection
    @OptionGroup var entry: CtlEntry
    var keys: KeyValuePairs<String, String?> { entry.keys }
}

struct CtlRemoveDevice: CtlVerb {
    static let configuration = CommandConfiguration(commandName: "remove-device",
        abstract: "Remove a device: MODIFIED_LCT is raised, its registrations dropped.")
    @OptionGroup var connection: CtlConnection
    @Option(key: "iop", of: "remove-device", help: "The IOP's unit.", valueName: "N") var iop: String
    @Option(key: "tid", of: "remove-device", help: "The device's TID.", valueName: "TID") var tid: String
    var keys: KeyValuePairs<String, String?> { ["iop": iop, "tid": tid] }
}

struct CtlSetParam: CtlVerb {
    static let configuration = CommandConfiguration(commandName: "set-param",
        abstract: "Set a parameter field as the host's UtilParamsSet would (read-only fields are refused).")
    @OptionGroup var connection: CtlConnection
    @Option(key: "iop", of: "set-param", help: "The IOP's unit.", valueName: "N") var iop: String
    @Option(key: "tid", of: "set-param", help: "The device's TID.", valueName: "TID") var tid: String
    @Option(key: "group", of: "set-param", help: "The parameter group (0xF102).", valueName: "GROUP") var group: String
    @Option(help: ArgumentHelp("The field: its name (DeviceName) or index; the daemon names the group's fields.", valueName: "FIELD"))
    var field: String
    @Option(help: ArgumentHelp("Text for string(N) fields, hex bytes for bytes(N), a number otherwise.", valueName: "VALUE"))
    var value: String
    var keys: KeyValuePairs<String, String?> { ["iop": iop, "tid": tid, "group": group, "field": field, "value": value] }
}

struct CtlFailIOP: CtlVerb {
    static let configuration = CommandConfiguration(commandName: "fail-iop",
        abstract: "Fail an IOP as a whole: no frame posted to it is answered until recover-iop.")
    @OptionGroup var connection: CtlConnection
    @Option(key: "iop", of: "fail-iop", help: "The IOP's unit.", valueName: "N") var iop: String
    var keys: KeyValuePairs<String, String?> { ["iop": iop] }
}

struct CtlRecoverIOP: CtlVerb {
    static let configuration = CommandConfiguration(commandName: "recover-iop", abstract: "Recover an IOP failed by fail-iop.")
    @OptionGroup var connection: CtlConnection
    @Option(key: "iop", of: "recover-iop", help: "The IOP's unit.", valueName: "N") var iop: String
    var keys: KeyValuePairs<String, String?> { ["iop": iop] }
}

struct CtlFaultRemove: CtlVerb {
    static let configuration = CommandConfiguration(commandName: "fault-remove", abstract: "Remove a fault rule (without --id: all).")
    @OptionGroup var connection: CtlConnection
    @Option(key: "id", of: "fault-remove", help: "The rule's id (fault-add answers it; fault-list shows it).", valueName: "ID") var id: String?
    var keys: KeyValuePairs<String, String?> { ["id": id] }
}

struct CtlFaultList: CtlVerb {
    static let configuration = CommandConfiguration(commandName: "fault-list", abstract: "Fault rules with their counters, and failed IOPs.")
    @OptionGroup var connection: CtlConnection
}

struct CtlRelease: CtlVerb {
    static let configuration = CommandConfiguration(commandName: "release",
        abstract: "End at once the wait of every request waiting for a reply that does not come (hang, failed IOP).")
    @OptionGroup var connection: CtlConnection
}

struct CtlStats: CtlVerb {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Request statistics per ioctl, and faults injected.")
    @OptionGroup var connection: CtlConnection
}

struct CtlStatsReset: CtlVerb {
    static let configuration = CommandConfiguration(commandName: "stats-reset", abstract: "Zero the request statistics (not the rules' counters).")
    @OptionGroup var connection: CtlConnection
}

struct CtlSnapshot: CtlVerb {
    static let configuration = CommandConfiguration(commandName: "snapshot",
        abstract: "The whole machine as a fixture: written to --path (in this directory when relative), or printed.")
    @OptionGroup var connection: CtlConnection
    @Option(help: ArgumentHelp("The fixture to write (YAML).", valueName: "PATH"), completion: .file(extensions: ["yaml"]))
    var path: String?
    var keys: KeyValuePairs<String, String?> { ["path": CtlKey.absolute(path)] }
}

struct CtlRestore: CtlVerb {
    static let configuration = CommandConfiguration(commandName: "restore",
        abstract: "Replace the whole machine with a fixture's (open files stay open; event registrations are gone).")
    @OptionGroup var connection: CtlConnection
    @Option(help: ArgumentHelp("The fixture to load (in this directory when relative).", valueName: "PATH"),
            completion: .file(extensions: ["yaml"]))
    var path: String
    var keys: KeyValuePairs<String, String?> { ["path": CtlKey.absolute(path)] }
}

struct CtlRaw: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "raw",
        abstract: "Send a whole JSON request as it is (docs/control.md), e.g. '{\"command\": \"list\"}'.")
    @OptionGroup var connection: CtlConnection
    @Argument(help: ArgumentHelp("The request: one JSON object.", valueName: "JSON"))
    var request: String

    func validate() throws {
        guard (try? JSONSerialization.jsonObject(with: Data(request.utf8))) is [String: Any] else {
            printError("i2osim ctl: raw takes one JSON object, such as '{\"command\": \"list\"}'; this is not one: \(request)")
            throw ExitCode(64)   // EX_USAGE, as for the other usage errors
        }
    }
    func run() throws { try connection.send(request) }
}
