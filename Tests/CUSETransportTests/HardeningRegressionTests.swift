import Faults
import Simulator
import I2OABI
import I2ODevice
import IoctlEngine
import Testing
@testable import CUSETransport

/// Regressions found by Tests/hardening (the bad-input matrix through real CUSE).
struct HardeningRegressionTests {
    /// PARMSET with an unwritable `resbuf`: the engine asks for exactly the result's room there;
    /// the kernel's copy-in of the probe must fail the ioctl before the engine carries the set out.
    @Test func aBadParamsResultBufferFailsBeforeTheEngineActs() {
        var k = KernelSimulator()
        var actions = 0
        let rc = k.ioctl { (m: inout RetryRoundMemory) throws(NeedsRound) -> Int32 in
            _ = try m.fetch(reads: [], writes: [UserRange(address: 0x2000, count: 4), UserRange(address: 0x9_0000, count: 24)])
            actions += 1
            return 0
        }
        #expect(rc == nil)        // EFAULT from the kernel's copy-in of the probe
        #expect(actions == 0)
        #expect(RetryRoundMemory.isProbed(UserRange(address: 0, count: 4096)))
        #expect(!RetryRoundMemory.isProbed(UserRange(address: 0, count: 65536)))   // PARMGET's reservation
    }

    /// A node name CUSE cannot carry is refused before libfuse is asked, with its length and the limit.
    @Test func aTooLongNodeNameIsRefusedByName() throws {
        let long = String(repeating: "n", count: 300)
        let device = CUSEDevice(name: long, node: try CUSEIoctlsTests.engine(), onReady: { _ in }, log: { _ in })
        var message = ""
        do { try device.run() } catch { message = error.description }
        #expect(message.contains("300 bytes") && message.contains("at most 255"), "\(message)")
    }
}
