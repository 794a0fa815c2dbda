// `i2osim-bench fuse-file MOUNTPOINT`: the native analogue of the CUSE latency rows.
//
// This kernel has no CUSE, but it has FUSE, and a FUSE file's ioctl takes the kernel's same path
// (fuse_do_ioctl) in its restricted form: the kernel itself fetches and stores what the command's
// _IOC size and direction say, so there are no retry rounds — an ioctl whose struct carries
// pointers cannot be served this way, but VALIDATE (one daemon call, no data) can. Serving
// MOUNTPOINT/ctl with the daemon's own `CUSEIoctls` and `FuseReplier` over the default fixture,
// beside `cuse-baseline --fuse` (the C server's same answers), times one daemon call natively.
//
// `i2osim-bench fuse-file MOUNTPOINT NAME` (GETIOPS, PARMGET, …): every ioctl on the file first runs
// all of NAME's daemon work as `i2osim serve` does it through the CUSE retry rounds (its calls of
// `CUSEIoctls.call`, replayed as `loop-cuse` does, their answers dropped), then answers 0 as the C
// server does. Its latency over the C server's is NAME's whole work per ioctl, run natively inside
// a daemon between kernel round trips — the part of a CUSE ioctl's latency that is i2osim's.
// Callbacks live here, outside main.swift: libfuse calls them on its own threads.
import I2OABI
import I2ODevice
import CFuse
import CUSETransport
import Glibc
import IoctlEngine
import Synchronization

/// The FUSE file's state, reached through libfuse's userdata.
final class FuseFile: Sendable {
    let ioctls: CUSEIoctls
    /// With a workload: its CUSE calls, replayed before each ioctl is answered.
    let work: WorkReplay?
    init(engine: Engine, work: WorkReplay?) {
        ioctls = CUSEIoctls(node: engine, counting: false, failed: { line in
            let l = "i2osim-bench fuse-file: \(line)\n"
            _ = l.withCString { write(2, $0, strlen($0)) }
        })
        self.work = work
    }
}

/// One workload's daemon calls through the CUSE retry rounds, replayed on demand (its own engine
/// file and caller memory; the lock is never contended: one client thread).
final class WorkReplay: @unchecked Sendable {
    private let lock = Mutex(0)
    private var memory: FlatMemory
    private let workload: Workload
    private let calls: [CUSECall]
    private let engine: Engine
    private let ioctls: CUSEIoctls
    private let file: CUSEOpenFile

    init?(engine: Engine, name: String) {
        var mem = FlatMemory()
        let id = engine.open()
        guard let w = (Workloads.make(&mem) + Workloads.countingOnly(&mem)).first(where: { $0.name.hasPrefix(name) }),
              let calls = recordedCUSECalls(engine, id, w, &mem) else { return nil }
        memory = mem
        workload = w
        self.calls = calls
        self.engine = engine
        ioctls = CUSEIoctls(node: engine, counting: false, failed: { _ in })
        file = CUSEOpenFile(id)
    }

    func run() {
        lock.withLock { i in
            workload.prepare(i, &memory, engine, file.id)
            for c in calls { replayCUSECall(ioctls, file, workload, c) }
            i += 1
        }
    }
}

/// The inode of MOUNTPOINT/ctl (1 is the root).
private let ctlInode: fuse_ino_t = 2

private func fuseFile(_ req: OpaquePointer?) -> FuseFile {
    Unmanaged<FuseFile>.fromOpaque(fuse_req_userdata(req)!).takeUnretainedValue()
}

private func attributes(_ ino: fuse_ino_t) -> stat? {
    var st = stat()
    st.st_ino = __ino_t(ino)
    switch ino {
    case 1: st.st_mode = S_IFDIR | 0o755; st.st_nlink = 2
    case ctlInode: st.st_mode = S_IFREG | 0o666; st.st_nlink = 1
    default: return nil
    }
    return st
}

private let fuseLookup: @convention(c) (OpaquePointer?, fuse_ino_t, UnsafePointer<CChar>?) -> Void = { req, parent, name in
    guard parent == 1, let name, String(cString: name) == "ctl", let st = attributes(ctlInode) else { fuse_reply_err(req, ENOENT); return }
    var e = fuse_entry_param()
    e.ino = ctlInode
    e.attr = st
    e.attr_timeout = 3600
    e.entry_timeout = 3600
    fuse_reply_entry(req, &e)
}

private let fuseGetattr: @convention(c) (OpaquePointer?, fuse_ino_t, UnsafeMutablePointer<fuse_file_info>?) -> Void = { req, ino, _ in
    guard var st = attributes(ino) else { fuse_reply_err(req, ENOENT); return }
    fuse_reply_attr(req, &st, 3600)
}

private let fuseOpen: @convention(c) (OpaquePointer?, fuse_ino_t, UnsafeMutablePointer<fuse_file_info>?) -> Void = { req, ino, fi in
    guard ino == ctlInode, let fi else { fuse_reply_err(req, EISDIR); return }
    let file = CUSEOpenFile(fuseFile(req).ioctls.node.node.open())
    fi.pointee.fh = UInt64(UInt(bitPattern: Unmanaged.passRetained(file).toOpaque()))
    fi.pointee.direct_io = 1
    fi.pointee.nonseekable = 1
    fuse_reply_open(req, fi)
}

private let fuseRelease: @convention(c) (OpaquePointer?, fuse_ino_t, UnsafeMutablePointer<fuse_file_info>?) -> Void = { req, _, fi in
    guard let fi else { fuse_reply_err(req, EIO); return }
    let file = Unmanaged<CUSEOpenFile>.fromOpaque(UnsafeRawPointer(bitPattern: UInt(fi.pointee.fh))!).takeRetainedValue()
    fuseFile(req).ioctls.node.node.release(file.id)
    fuse_reply_err(req, 0)
}

/// As `CUSEDevice.ioctl`: one `CUSEIoctls.call`, answered through `FuseReplier`.
private let fuseIoctl: @convention(c) (OpaquePointer?, fuse_ino_t, Int32, UnsafeMutableRawPointer?, UnsafeMutablePointer<fuse_file_info>?,
                                       UInt32, UnsafeRawPointer?, Int, Int) -> Void = { req, _, cmd, arg, fi, flags, inBuf, inSize, outSize in
    guard let req, let fi else { fuse_reply_err(req, EIO); return }
    if let work = fuseFile(req).work {
        work.run()
        fuse_reply_ioctl(req, 0, nil, 0)
        return
    }
    let file = Unmanaged<CUSEOpenFile>.fromOpaque(UnsafeRawPointer(bitPattern: UInt(fi.pointee.fh))!).takeUnretainedValue()
    let abi: CallerABI = flags & i2osim_fuse_ioctl_32bit() != 0 ? .ilp32 : .lp64
    fuseFile(req).ioctls.call(file, command: UInt32(bitPattern: cmd), argument: UInt64(UInt(bitPattern: arg)), abi: abi,
                              pid: fuse_req_ctx(req)?.pointee.pid ?? 0,
                              input: UnsafeRawBufferPointer(start: inSize > 0 ? inBuf : nil, count: inBuf != nil ? inSize : 0),
                              outSize: outSize, replier: FuseReplier(req: req))
}

/// Mounts MOUNTPOINT, prints `ready: MOUNTPOINT/ctl`, serves until MOUNTPOINT is unmounted (libfuse's
/// workers sit in read(); a signal ends the session only at the next request).
func serveFuseFile(mountpoint: String, work name: String?) -> Bool {
    let engine = defaultEngine()
    var work: WorkReplay?
    if let name {
        guard let w = WorkReplay(engine: engine, name: name) else {
            print("error: no workload \(name) whose CUSE calls replay the same each time"); return false
        }
        work = w
    }
    let server = FuseFile(engine: engine, work: work)
    var ops = fuse_lowlevel_ops()
    ops.lookup = fuseLookup
    ops.getattr = fuseGetattr
    ops.open = fuseOpen
    ops.release = fuseRelease
    ops.ioctl = fuseIoctl
    var argv: [UnsafeMutablePointer<CChar>?] = [strdup("i2osim-bench"), nil]
    defer { free(argv[0]) }
    let me = Unmanaged.passRetained(server)
    defer { me.release() }
    return argv.withUnsafeMutableBufferPointer { a -> Bool in
        var fargs = fuse_args(argc: 1, argv: a.baseAddress, allocated: 0)
        guard let se = fuse_session_new(&fargs, &ops, MemoryLayout<fuse_lowlevel_ops>.size, me.toOpaque()) else {
            print("error: fuse_session_new failed"); return false
        }
        defer { fuse_session_destroy(se) }
        guard fuse_session_mount(se, mountpoint) == 0 else {
            print("error: cannot mount FUSE on \(mountpoint) (needs /dev/fuse and root)"); return false
        }
        defer { fuse_session_unmount(se) }
        _ = fuse_set_signal_handlers(se)
        defer { fuse_remove_signal_handlers(se) }
        print("ready: \(mountpoint)/ctl")
        fflush(nil)
        return i2osim_session_loop_mt(se) == 0
    }
}
