import Faults
import Simulator
import I2OABI
import I2ODevice
import Control
import Fixtures
import Foundation
import I2OFormats
import IOPModel
import IoctlEngine
import Testing

@Suite struct ControlTests {
    func handler(_ e: Simulator) -> ControlHandler {
        ControlHandler(simulator: e, loadFixture: { path in
            do throws(FixtureError) { return .success(try FixtureLoader.load(path: path)) } catch {
                return .failure(ControlError(error.description))
            }
        })
    }

    func answer(_ h: ControlHandler, _ request: String) throws -> [String: Any] {
        let line = h.handle(line: request)
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test func hotPlugRaisesEventsToRegisteredFiles() throws {
        let e = try T.engine(); let h = handler(e)
        let f = e.open()
        #expect(try T.register(e, f, tid: 0, mask: 0x300) == .success)   // NEW_LCT_ENTRY | MODIFIED_LCT
        let before = e.machine.iops[IOPUnit(rawValue: 0)]?.lctChangeIndicator ?? 0
        let a = try answer(h, #"{"command": "add-device", "iop": 0, "tid": "0x210", "class": "0x10"}"#)
        #expect(a["ok"] as? Bool == true)
        #expect(e.machine.iops[IOPUnit(rawValue: 0)]?.lctChangeIndicator == before + 1)
        #expect(e.machine.iops[IOPUnit(rawValue: 0)]?.lct.entries.last?.localTID == TID(rawValue: 0x210))
        let removed = try answer(h, #"{"command": "remove-device", "iop": 0, "tid": 528}"#)
        #expect(removed["ok"] as? Bool == true)
        let events = try #require(e.queuedEvents(f)?.events)
        try #require(events.map(\.id.eventMask) == [0x100, 0x200])
        #expect(events[0].data.count == 36 && events[0].data.readLE16(at: 2) & 0xFFF == 0x210)
        // Removing it again fails with the model's words.
        let again = try answer(h, #"{"command": "remove-device", "iop": 0, "tid": "0x210"}"#)
        #expect(again["ok"] as? Bool == false)
        #expect((again["error"] as? String)?.contains("no device with TID") == true)
    }

    @Test func eventByName() throws {
        let e = try T.engine(); let h = handler(e)
        let f = e.open()
        _ = try T.register(e, f, tid: 0, mask: 0x4)
        let a = try answer(h, #"{"command": "event", "iop": 0, "tid": 0, "indicator": "adapter-fault", "data": "01 02 03 04"}"#)
        #expect(a["ok"] as? Bool == true)
        let ev = try #require(e.queuedEvents(f)?.events.first)
        #expect(ev.id.eventMask == 0x4)
        #expect(Array(ev.data.prefix(4)) == [1, 2, 3, 4])
    }

    @Test func setParamByFieldName() throws {
        let e = try T.engine(); let h = handler(e)
        let a = try answer(h, #"{"command": "set-param", "iop": 0, "tid": "0x203", "group": "0xF102", "field": "DeviceName", "value": "Array 9"}"#)
        #expect(a["ok"] as? Bool == true)
        let row = e.machine.iops[IOPUnit(rawValue: 0)]?.parameterGroup(0xF102, of: TID(rawValue: 0x203))?.rows.first ?? []
        #expect(Array(row.prefix(8)) == Array("Array 9".utf8) + [0])
        let ro = try answer(h, #"{"command": "set-param", "iop": 0, "tid": "0x203", "group": "0xF100", "field": "VendorInfo", "value": "X"}"#)
        #expect(ro["ok"] as? Bool == false)
        #expect((ro["error"] as? String)?.contains("FIELD_UNWRITEABLE") == true)
    }

    @Test func faultRulesThroughTheChannel() throws {
        let e = try T.engine(); let h = handler(e)
        let a = try answer(h, #"{"command": "fault-add", "ioctl": "i2ogetiops", "action": "errno", "errno": "ENODEV", "count": "once"}"#)
        #expect(a["ok"] as? Bool == true)
        let f = e.open()
        #expect(try T.getIOPs(e, f).0 == .error(.ENODEV))
        let list = try answer(h, #"{"command": "fault-list"}"#)
        #expect((list["text"] as? String)?.contains("matched 1, fired 1 (spent)") == true)
        let bad = try answer(h, #"{"command": "fault-add", "action": "delay"}"#)
        #expect(bad["ok"] as? Bool == false)
        let st = try answer(h, #"{"command": "fault-add", "function": "UtilParamsGet", "action": "status", "status": "ERROR_PARTIAL_TRANSFER", "detail": "UNKNOWN_ERROR"}"#)
        #expect(st["ok"] as? Bool == true)
        #expect(e.faults.snapshot.rules.last?.action == .status(.errorPartialTransfer, .unknownError))
        let removed = try answer(h, #"{"command": "fault-remove"}"#)
        #expect((removed["result"] as? [String: Any])?["removed"] as? Int == 2)
        let stats = try answer(h, #"{"command": "stats"}"#)
        let result = try #require(stats["result"] as? [String: Any])
        #expect((result["faultsInjected"] as? [String: Any])?["errno"] as? Int == 1)
    }

    /// A misspelt key or value is refused with the valid ones listed, never silently ignored (a
    /// misspelt `ioctl` made an every-request rule, a misspelt `count` an `always` one).
    @Test func unknownKeysAndValuesAreRefusedWithTheValidOnes() throws {
        let e = try T.engine(); let h = handler(e)
        func error(_ request: String) throws -> String {
            let a = try answer(h, request)
            #expect(a["ok"] as? Bool == false, "\(request) was accepted")
            return a["error"] as? String ?? ""
        }
        let ioclt = try error(#"{"command": "fault-add", "ioclt": "I2OSWDL", "errno": "ENODEV"}"#)
        #expect(ioclt.contains("unknown key \"ioclt\" (did you mean \"ioctl\"?)") && ioclt.contains("ioctl, iop, tid"), "\(ioclt)")
        let cout = try error(#"{"command": "fault-add", "ioctl": "I2OSWDL", "cout": "once"}"#)
        #expect(cout.contains("\"cout\"") && cout.contains("count"), "\(cout)")
        #expect(e.faults.snapshot.rules.isEmpty, "no rule was added")
        let action = try error(#"{"command": "fault-add", "action": "erno"}"#)
        #expect(action.contains("unknown action 'erno' (did you mean errno?)") && action.contains("block-status, delay, hang"), "\(action)")
        let count = try error(#"{"command": "fault-add", "count": "onse"}"#)
        #expect(count.contains("unknown count 'onse'") && count.contains("once, times, every, probability, always"), "\(count)")
        let errno = try error(#"{"command": "fault-add", "errno": "ENODEVICE"}"#)
        #expect(errno.contains("unknown errno 'ENODEVICE'") && errno.contains("ENODEV") && errno.contains("ETIMEDOUT"), "\(errno)")
        let other = try error(#"{"command": "fault-add", "action": "hang", "errno": "EIO"}"#)
        #expect(other.contains("\"errno\" goes with action errno, not hang"), "\(other)")
        let n = try error(#"{"command": "fault-add", "n": 3}"#)
        #expect(n.contains("\"n\" goes with count every or times, not always"), "\(n)")
        let function = try error(#"{"command": "fault-add", "function": "UtilParamGet"}"#)
        #expect(function.contains("did you mean UtilParamsGet?") && function.contains("ExecSwDownload"), "\(function)")
        let status = try error(#"{"command": "fault-add", "action": "status", "status": "ERROR"}"#)
        #expect(status.contains("unknown ReqStatus 'ERROR'") && status.contains("ERROR_NO_DATA_TRANSFER"), "\(status)")
        let indicator = try error(#"{"command": "event", "iop": 0, "indicator": "NOPE"}"#)
        #expect(indicator.contains("unknown event indicator 'NOPE'") && indicator.contains("ADAPTER_FAULT")
                && !indicator.contains("not a number"), "\(indicator)")
        let cls = try error(#"{"command": "add-device", "iop": 0, "tid": "0x210", "class": "BUS_ADAPTR"}"#)
        #expect(cls.contains("did you mean BUS_ADAPTER?") && cls.contains("RANDOM_BLOCK_STORAGE"), "\(cls)")
        let field = try error(#"{"command": "set-param", "iop": 0, "tid": "0x203", "group": "0xF102", "field": "DevName", "value": "x"}"#)
        #expect(field.contains("unknown field of group 0xF102 'DevName'") && field.contains("DeviceName"), "\(field)")
        let listKey = try error(#"{"command": "list", "iop": 0}"#)
        #expect(listKey.contains("unknown key \"iop\"; list takes no keys"), "\(listKey)")
        let command = try error(#"{"command": "fault-ad"}"#)
        #expect(command.contains("unknown command 'fault-ad' (did you mean fault-add?)"), "\(command)")
        #expect(Set(ControlHandler.commands) == Set(ControlHandler.keys.keys), "every command has its keys listed")
        let notJSON = try error("not json")
        #expect(notJSON == #"the request is not JSON: send one JSON object per line, e.g. {"command": "list"}"#, "\(notJSON)")
        // What is right still works, names in any case, numbers as strings.
        #expect(try answer(h, #"{"command": "fault-add", "ioctl": "i2oswdl", "errno": "enodev", "count": "times", "n": "2"}"#)["ok"] as? Bool == true)
        #expect(try answer(h, #"{"command": "event", "iop": 0, "indicator": "0x4"}"#)["ok"] as? Bool == true)
    }

    @Test func snapshotLoadsBackToTheSameMachine() throws {
        let e = try T.engine(); let h = handler(e)
        _ = try answer(h, #"{"command": "add-device", "iop": 0, "tid": "0x210", "class": "0x10"}"#)
        _ = try answer(h, #"{"command": "set-param", "iop": 0, "tid": "0x203", "group": "0xF102", "field": "DeviceName", "value": "Snap"}"#)
        let snap = e.machine.snapshot
        let text = SnapshotWriter.yaml(snap)
        let loaded = try FixtureLoader.load(text: text)
        #expect(loaded.iops.count == snap.iops.count)
        #expect(loaded.iops[0].devices.map(\.entry) == snap.iops[0].devices.map(\.entry))
        #expect(loaded.iops[0].store == snap.iops[0].store)
        #expect(loaded.iops[0].hrt == snap.iops[0].hrt)
        #expect(loaded.iops[0].status == snap.iops[0].status)
        for (a, b) in zip(loaded.iops[0].devices, snap.iops[0].devices) {
            #expect(a.groups == b.groups, "TID \(a.tid)")
            #expect(a.htmlPages == b.htmlPages)
            #expect(a.failures == b.failures)
        }
        // Restore from a file.
        let dir = T.tempDir()
        defer { T.remove(dir) }
        let path = dir + "/snap.yaml"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let e2 = try T.engine()
        let r = try answer(handler(e2), "{\"command\": \"restore\", \"path\": \"\(path)\"}")
        #expect(r["ok"] as? Bool == true)
        #expect(e2.machine.iops[IOPUnit(rawValue: 0)]?.devices[TID(rawValue: 0x210)] != nil)
    }

    @Test func listShowsDevicesAndFiles() throws {
        let e = try T.engine(); let h = handler(e)
        let f = e.open()
        let a = try answer(h, #"{"command": "list"}"#)
        let result = try #require(a["result"] as? [String: Any])
        let iops = try #require(result["iops"] as? [[String: Any]])
        #expect(iops.count == 1)
        #expect((iops[0]["devices"] as? [[String: Any]])?.contains { $0["tid"] as? Int == 0x203 } == true)
        #expect((result["files"] as? [[String: Any]])?.first?["id"] as? Int == Int(f.rawValue))
        #expect(try answer(h, "not json")["ok"] as? Bool == false)
        #expect(try answer(h, #"{"command": "nope"}"#)["ok"] as? Bool == false)
    }

    @Test func serverAnswersOverTheSocket() throws {
        let e = try T.engine()
        let dir = T.tempDir()
        defer { T.remove(dir) }
        let path = dir + "/sub/ctl.sock"
        let server = try ControlServer(path: path, handler: handler(e))
        server.start()
        defer { server.stop() }
        var st = stat()
        #expect(stat(path, &st) == 0 && st.st_mode & 0o777 == 0o600)
        #expect(stat(dir + "/sub", &st) == 0 && st.st_mode & 0o777 == 0o700)
        let line = try ControlClient.send(#"{"command": "stats"}"#, to: path)
        #expect(line.contains("\"ok\":true"))
        // A second server on a live socket is refused.
        #expect(throws: ControlError.self) { _ = try ControlServer(path: path, handler: handler(e)) }
    }

    @Test func fixtureFaultRules() throws {
        let text = """
        machine: x
        iops: []
        faults:
          - {ioctl: I2OPARMGET, action: errno, errno: EIO, count: every, n: 2}
          - {iop: 0, tid: 0x203, group: 0xF100, action: block-status, block-status: BAD_KEY_ABORT}
        """
        let objects = try FixtureFaultRules.load(text: text)
        #expect(objects.count == 2)
        let r0 = try FaultRules.rule(fromFixture: objects[0])
        #expect(r0.count == .every(2) && r0.action == .errno(.EIO) && r0.origin == "fixture")
        let r1 = try FaultRules.rule(fromFixture: objects[1])
        #expect(r1.match == FaultMatch(iop: 0, tid: 0x203, group: 0xF100))
        #expect(r1.action == .blockStatus(.badKeyAbort))
    }
}
