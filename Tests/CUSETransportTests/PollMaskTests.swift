import Fixtures
import Glibc
import I2ODevice
import IOPModel
import IoctlEngine
import Simulator
import Testing

/// What `CUSEDevice`'s poll hands libfuse: the node's `pollEvents`, in Linux's bits, per personality.
@Suite struct PollMaskTests {
    @Test func pollEventsAreLinuxBits() {
        #expect(PollEvents.in.rawValue == UInt32(POLLIN))
        #expect(PollEvents.out.rawValue == UInt32(POLLOUT))
        #expect(PollEvents.readNormal.rawValue == UInt32(POLLRDNORM))
        #expect(PollEvents.writeNormal.rawValue == UInt32(POLLWRNORM))
    }

    @Test(arguments: PersonalityName.allCases) func maskPerPersonality(personality: PersonalityName) throws {
        let sim = Simulator(machine: Machine(try FixtureLoader.loadDefault()), personality: personality)
        let file = sim.open()
        defer { sim.release(file) }
        switch personality {
        case .documented:
            #expect(sim.fileOperations == FileOperations(poll: .eventQueue, fasync: .none))
            #expect(sim.pollEvents(file) == [], "nothing queued")
        case .linux2618, .linux2618i386:
            #expect(sim.fileOperations == FileOperations(poll: .none, fasync: .silent))
            #expect(sim.pollEvents(file).rawValue == UInt32(POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM))
        case .linux24:
            #expect(sim.fileOperations == FileOperations(poll: .none, fasync: .signalsQueuedEvents))
            #expect(sim.pollEvents(file).rawValue == UInt32(POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM))
        }
    }
}
