import Testing
import I2OFormats
import IOPModel
@testable import Fixtures

/// Loads `text` expecting failure; returns the diagnostics.
func diagnostics(_ text: String) -> [Diagnostic] {
    do {
        _ = try FixtureLoader.load(text: text, name: "t.yaml")
        Issue.record("expected the fixture to be refused")
        return []
    } catch { return error.diagnostics }
}

/// A valid machine with `devices` spliced in after the executive (each line indented 6).
func machine(_ devices: String = "", extraIOP: String = "") -> String {
    """
    machine: "test"
    iops:
      - unit: 0
        devices:
          - {tid: 0, class: EXECUTIVE}
    \(devices)\(extraIOP)
    """
}

@Suite struct DiagnosticTests {
    @Test func validMachineLoads() throws {
        let m = try FixtureLoader.load(text: machine("      - {tid: 0x008, class: BUS_ADAPTER, subclass: 1}"))
        #expect(m.iops.first?.devices.map(\.tid) == [0, 8])
    }

    @Test func badTypeStringWhereNumber() {
        let d = diagnostics(machine("      - {tid: 8, class: BUS_ADAPTER, subclass: \"one\"}"))
        #expect(d.count == 1)
        #expect(d.first?.line == 6)
        #expect(d.first?.keyPath == "iops[0].devices[1].subclass")
        #expect(d.first?.description.contains("t.yaml:6: iops[0].devices[1].subclass: expected a 32-bit number, found the string \"one\"") == true)
    }

    @Test func unknownClass() {
        let d = diagnostics(machine("      - {tid: 8, class: BUS_ADAPTR}"))
        #expect(d.map(\.line) == [6])
        #expect(d.first?.message == "unknown device class 'BUS_ADAPTR'")
        #expect(d.first?.hint.hasPrefix("did you mean BUS_ADAPTER?") == true)
    }

    @Test func duplicateTID() {
        let d = diagnostics(machine("      - {tid: 8, class: DDM}\n      - {tid: 0x008, class: DDM}"))
        #expect(d.map(\.line) == [7])
        #expect(d.first?.message.contains("TID 0x008 (8 decimal) is already used by iops[0].devices[1] at line 6") == true)
    }

    @Test func danglingParent() {
        let d = diagnostics(machine("      - {tid: 8, class: DDM}\n      - tid: 9\n        class: DDM\n        parent: 0x00A"))
        #expect(d.map(\.line) == [9])
        #expect(d.first?.keyPath == "iops[0].devices[2].parent")
        #expect(d.first?.message == "parent TID 0x00A is not a device of this IOP")
    }

    @Test func valueTooBigForItsField() {
        let d = diagnostics(machine("""
              - tid: 8
                class: DDM
                groups:
                  0xF100: {VendorInfo: "ABCDEFGHIJKLMNOPQ", SNFormat: 300}
        """))
        #expect(d.count == 2)
        #expect(d.allSatisfy { $0.line == 9 })
        #expect(d.contains { $0.keyPath.hasSuffix("0xF100.VendorInfo") && $0.message.contains("17 bytes long; it holds at most 16") })
        #expect(d.contains { $0.keyPath.hasSuffix("0xF100.SNFormat") && $0.message.contains("300 is out of range for SNFormat (u8) (0…255)") })
    }

    @Test func unknownKeyWithSuggestion() {
        let d = diagnostics(machine("      - {tid: 8, class: DDM, subclas: 3}"))
        #expect(d.map(\.line) == [6])
        #expect(d.first?.message == "unknown key 'subclas'")
        #expect(d.first?.hint.hasPrefix("did you mean 'subclass'?") == true)
    }

    @Test func unknownGroupAndField() {
        let d = diagnostics(machine("""
              - tid: 8
                class: DDM
                groups:
                  DeviceIdentty: {VendorInfo: "X"}
                  0xF100: {Vendor: "X"}
                  0x8000: {Foo: 1}
        """))
        #expect(d.map(\.line) == [9, 10, 11])
        #expect(d[0].hint.hasPrefix("did you mean DeviceIdentity?"))
        #expect(d[1].message == "0xF100 (Device Identity) has no field 'Vendor'")
        #expect(d[1].hint.hasPrefix("did you mean VendorInfo?"))
        #expect(d[2].message == "group 0x8000 is not a standard group")
    }

    @Test func yamlSyntaxError() {
        let d = diagnostics("machine: \"x\"\niops:\n  - unit: 0\n    devices: [ {tid: 0, class: EXECUTIVE}\n")
        #expect(d.count == 1)
        #expect(d.first?.message.hasPrefix("YAML syntax error") == true)
        #expect((d.first?.line ?? 0) >= 4)
    }

    @Test func unitsAndMissingKeys() {
        let d = diagnostics("""
        machine: x
        iops:
          - unit: 0
            devices: [{tid: 0, class: EXECUTIVE}]
          - unit: 0
            devices: [{tid: 0, class: EXECUTIVE}]
          - unit: 32
            devices: [{tid: 0, class: EXECUTIVE}]
          - devices: [{tid: 0}]
        """)
        #expect(d.map(\.line) == [5, 7, 9, 9])
        #expect(d[0].message == "IOP unit 0 is already used by iops[0]")
        #expect(d[1].message.contains("32 is out of range for an IOP unit (0…31)"))
        #expect(d[2].message == "missing required key 'unit'")
        #expect(d[3].message == "missing required key 'class'")
    }

    @Test func collectsManyErrorsButCaps() {
        let many = (0..<80).map { "      - {tid: \($0 + 8), class: NOPE}" }.joined(separator: "\n")
        do {
            _ = try FixtureLoader.load(text: machine(many), name: "t.yaml")
            Issue.record("expected failure")
        } catch {
            #expect(error.diagnostics.count == FixtureLoader.maxDiagnostics)
            #expect(error.truncated)
            #expect(error.description.hasSuffix("(stopped after 50 errors; fix these and run again)"))
        }
    }

    @Test func deepNestingRefused() {
        let deep = String(repeating: "[", count: 70) + String(repeating: "]", count: 70)
        let d = diagnostics("machine: x\niops: \(deep)\n")
        #expect(d.count == 1)
        #expect(d.first?.message.contains("nested more than 64 levels") == true)
    }

    @Test func rawEscapesAndWidths() throws {
        let m = try FixtureLoader.load(text: machine("""
              - tid: 8
                class: DDM
                identity_tag: "TAG"
                groups:
                  0xF100: {VendorInfo: {hex: "41 42 ff"}, SerialNumber: {hex: "01 02"}}
                  0x9000:
                    kind: table
                    fields: [{name: Key, type: u16}, {name: Value, type: s8, writable: true}]
                    rows: [{Key: 1, Value: -1}, {hex: "02 00 7f"}]
        """))
        let d = try #require(m.iops.first?.devices.last)
        #expect(d.entry.identityTag == [0x54, 0x41, 0x47, 0, 0, 0, 0, 0])
        #expect(Array(d.groups[0xF100]!.rows[0][8..<12]) == [0x41, 0x42, 0xFF, 0])
        #expect(Array(d.groups[0xF100]!.rows[0][65..<68]) == [1, 2, 0])
        let v = try #require(d.groups[0x9000])
        #expect(v.schema.kind == .table && v.schema.fields[1].writable)
        #expect(v.rows == [[1, 0, 0xFF], [2, 0, 0x7F]])
    }

    @Test func fileTooLargeRefused() {
        let big = String(repeating: "#", count: FixtureLoader.maxFileBytes + 1)
        let d = diagnostics(big)
        #expect(d.first?.message.contains("limited to \(FixtureLoader.maxFileBytes) bytes") == true)
    }
}
