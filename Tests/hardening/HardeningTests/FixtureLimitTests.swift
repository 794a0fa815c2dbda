import Fixtures
import Testing

/// Hostile fixtures are refused with a message, not swallowed: too big, too deep, too many
/// nodes (directly or through aliases).
struct FixtureLimitTests {
    func refusal(_ text: String) -> String? {
        do { _ = try FixtureLoader.load(text: text, name: "hostile.yaml"); return nil } catch { return error.description }
    }

    @Test func tooBigIsRefusedBeforeParsing() throws {
        let text = "machine: x\n" + String(repeating: "#", count: FixtureLoader.maxFileBytes)
        let message = try #require(refusal(text))
        #expect(message.contains("limited to \(FixtureLoader.maxFileBytes) bytes (4 MiB)"))
    }

    @Test func deepNestingIsRefused() throws {
        for depth in [100, 100_000] {
            let flow = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            #expect(refusal("machine: x\niops: " + flow) != nil)
        }
        var block = "machine: x\niops:\n"
        for i in 0..<200 { block += String(repeating: " ", count: i + 1) + "- a:\n" }
        #expect(refusal(block) != nil)
    }

    @Test func anAliasBombIsRefused() throws {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1...9 { text += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n" }
        let message = try #require(refusal(text))
        #expect(message.contains("more than \(FixtureLoader.maxNodes) YAML nodes"))
    }

    @Test func tooManyNodesAreRefused() throws {
        let text = "[" + String(repeating: "0,", count: FixtureLoader.maxNodes + 10) + "0]"
        let message = try #require(refusal(text))
        #expect(message.contains("more than \(FixtureLoader.maxNodes) YAML nodes"))
    }
}
