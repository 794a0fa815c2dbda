// The callbacks of cuse-baseline-swift (see main.swift). Outside main.swift so that they are
// nonisolated: libfuse calls them on its own threads.
import CFuse
import Glibc
import Synchronization

let maxControllers = 32
let getiops: UInt32 = 0x8020_6900    // _IOR('i', 0, u8[MAX_I2O_CONTROLLERS])
let parmget: UInt32 = 0xC028_6904    // _IOWR('i', 4, struct i2o_cmd_psetget)
let validate: UInt32 = 0x8004_6908   // _IOR('i', 8, u32)
let psetgetSize = 40                 // struct i2o_cmd_psetget, LP64

/// What main.swift sets before the session starts; read-only afterwards.
nonisolated(unsafe) var node = ""
nonisolated(unsafe) var statsPath: String?
nonisolated(unsafe) var canned = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 + 65536, alignment: 8)
nonisolated(unsafe) var resultBytes = 0

final class Counts {
    let calls = Atomic<Int>(0)
    let ioctls = Atomic<Int>(0)
}

private func counts(_ fi: UnsafeMutablePointer<fuse_file_info>) -> Counts {
    Unmanaged<Counts>.fromOpaque(UnsafeRawPointer(bitPattern: UInt(fi.pointee.fh))!).takeUnretainedValue()
}

let baseInit: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<fuse_conn_info>?) -> Void = { _, conn in
    if let conn { i2osim_disable_splice(conn) }
}

let baseInitDone: @convention(c) (UnsafeMutableRawPointer?) -> Void = { _ in
    var t = pthread_t()
    _ = pthread_create(&t, nil, { _ in
        for _ in 0..<500 where access(node, F_OK) != 0 { usleep(10_000) }
        let line = "ready: \(node)\n"
        _ = line.withCString { write(1, $0, strlen($0)) }
        return nil
    }, nil)
    pthread_detach(t)
}

let baseOpen: @convention(c) (OpaquePointer?, UnsafeMutablePointer<fuse_file_info>?) -> Void = { req, fi in
    guard let fi else { fuse_reply_err(req, EIO); return }
    fi.pointee.fh = UInt64(UInt(bitPattern: Unmanaged.passRetained(Counts()).toOpaque()))
    fi.pointee.direct_io = 1
    fi.pointee.nonseekable = 1
    fuse_reply_open(req, fi)
}

let baseRelease: @convention(c) (OpaquePointer?, UnsafeMutablePointer<fuse_file_info>?) -> Void = { req, fi in
    guard let fi else { fuse_reply_err(req, EIO); return }
    let c = Unmanaged<Counts>.fromOpaque(UnsafeRawPointer(bitPattern: UInt(fi.pointee.fh))!).takeRetainedValue()
    if let statsPath, let f = fopen(statsPath, "a") {
        fputs("calls=\(c.calls.load(ordering: .relaxed)) ioctls=\(c.ioctls.load(ordering: .relaxed))\n", f)
        fclose(f)
    }
    fuse_reply_err(req, 0)
}

let baseIoctl: @convention(c) (OpaquePointer?, Int32, UnsafeMutableRawPointer?, UnsafeMutablePointer<fuse_file_info>?, UInt32,
                               UnsafeRawPointer?, Int, Int) -> Void = { req, cmd, arg, fi, _, inBuf, inSize, outSize in
    guard let fi else { fuse_reply_err(req, EIO); return }
    let c = counts(fi)
    c.calls.add(1, ordering: .relaxed)
    switch UInt32(bitPattern: cmd) {
    case validate:
        c.ioctls.add(1, ordering: .relaxed)
        fuse_reply_ioctl(req, 0, nil, 0)
    case getiops:
        if outSize < maxControllers {
            var v = iovec(iov_base: arg, iov_len: maxControllers)
            fuse_reply_ioctl_retry(req, &v, 1, &v, 1)
            return
        }
        var iops: (UInt64, UInt64, UInt64, UInt64) = (1, 0, 0, 0)
        c.ioctls.add(1, ordering: .relaxed)
        fuse_reply_ioctl(req, 0, &iops, maxControllers)
    case parmget:
        if inSize < psetgetSize {
            var v = iovec(iov_base: arg, iov_len: psetgetSize)
            fuse_reply_ioctl_retry(req, &v, 1, nil, 0)
            return
        }
        let p = UnsafeRawPointer(inBuf!)
        let opbuf = UnsafeMutableRawPointer(bitPattern: UInt(p.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        let oplen = Int(p.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
        let resbuf = UnsafeMutableRawPointer(bitPattern: UInt(p.loadUnaligned(fromByteOffset: 24, as: UInt64.self)))
        let reslen = UnsafeMutableRawPointer(bitPattern: UInt(p.loadUnaligned(fromByteOffset: 32, as: UInt64.self)))
        if inSize < psetgetSize + oplen + 8 || outSize < 4 + 65536 {
            var v = (iovec(iov_base: arg, iov_len: psetgetSize), iovec(iov_base: reslen, iov_len: 4),
                     iovec(iov_base: opbuf, iov_len: oplen), iovec(iov_base: reslen, iov_len: 4),
                     iovec(iov_base: reslen, iov_len: 4), iovec(iov_base: resbuf, iov_len: 65536))
            _ = withUnsafeMutablePointer(to: &v) {
                $0.withMemoryRebound(to: iovec.self, capacity: 6) { fuse_reply_ioctl_retry(req, $0, 4, $0 + 4, 2) }
            }
            return
        }
        canned.storeBytes(of: UInt32(resultBytes), toByteOffset: 0, as: UInt32.self)
        c.ioctls.add(1, ordering: .relaxed)
        fuse_reply_ioctl(req, 0, canned.baseAddress, 4 + resultBytes)
    default:
        c.ioctls.add(1, ordering: .relaxed)
        fuse_reply_err(req, ENOTTY)
    }
}

/// Sets up the CUSE session for `name` and runs libfuse's multithreaded loop (as CUSEDevice does).
func serve(name: String) -> Int32 {
    var ops = cuse_lowlevel_ops()
    ops.`init` = baseInit
    ops.init_done = baseInitDone
    ops.open = baseOpen
    ops.release = baseRelease
    ops.ioctl = baseIoctl
    let session = i2osim_cuse_setup("cuse-baseline-swift", name, &ops, nil)
    guard let session else { return 1 }
    let rc = i2osim_session_loop_mt(session)
    cuse_lowlevel_teardown(session)
    return rc == 0 ? 0 : 1
}
