/// One way a personality differs from `documented`, for people (`i2osim show --personality P`).
public struct PersonalityDifference: Sendable, Hashable {
    /// The ioctl or system call (`I2OPARMGET`, `read()`, `32-bit callers`).
    public var call: String
    /// What this personality does there.
    public var behaviour: String
}

extension PersonalityName {
    /// What to use this personality for, in one line.
    public var purpose: String {
        switch self {
        case .documented: "the seed document's interface without the kernels' bugs — write new clients against this"
        case .linux2618: "bug-compatible with Linux 2.6.18 on x86_64 — test a client against what real 2.6 machines did"
        case .linux2618i386: "Linux 2.6.18 built for i386 (RHEL/CentOS 5 i386) — 32-bit tools get every ioctl natively"
        case .linux24: "bug-compatible with Linux 2.4.20 — test a client of the 2.4 era (events, HTML)"
        }
    }

    /// How this personality differs from `documented` (empty for `documented`), the ones that
    /// bite clients most first.
    /// The rows both kernels share.
    private static let swDeleteValidate = PersonalityDifference(
        call: "I2OSWDEL, I2OVALIDATE", behaviour: "every failure → ETIMEDOUT; no *swlen write-back; VALIDATE targets TID = unit")
    private static let hrtGetShort = PersonalityDifference(
        call: "I2OHRTGET", behaviour: "ENOBUFS still copies the table (up to *reslen bytes); from 2 entries on its last 8 bytes were never written (i2osim: 0xA5)")
    private static let driverTables = PersonalityDifference(
        call: "I2OHRTGET/LCTGET", behaviour: "answered from the driver's copy made at start-up (the LCT refreshed when the IOP reports a change): a failed or hung IOP still answers, fault rules on ExecHrtGet/ExecLctNotify never fire")
    private static let uncheckedReslen = PersonalityDifference(
        call: "*reslen", behaviour: "written with a put_user whose fault is ignored: a read-only *reslen does not fail HRTGET, LCTGET, PARMGET/SET (2.4: HTML too), which answer and fill resbuf as usual (preload; see below for CUSE)")
    private static let openClose = PersonalityDifference(
        call: "open()/close()", behaviour: "open files numbered from 0 (the TransactionContext of their registrations); close sends the IOP nothing: it keeps their registrations")
    private static let noPoll = PersonalityDifference(
        call: "poll()/select()/epoll", behaviour: "no poll method: POLLIN|POLLOUT|POLLRDNORM|POLLWRNORM at all times (select: readable and writable); epoll_ctl → EPERM")
    private static let dptiTargetBusy = PersonalityDifference(
        call: "/dev/dptiN", behaviour: "mainline dpt_i2o: DPT_TARGET_BUSY → EINVAL (no case for it); I2OUSRCMD refuses a frame over 32 words with an SGL after posting it (docs/dpti.md)")
    private static let postWait = PersonalityDifference(
        call: "a failed or hung IOP", behaviour: "each request the IOP does not answer waits its kernel's timeout (the waits below, × I2OSIM_TIMEOUT_SCALE), then gets its no-reply answer")

    /// What a transport (or the x86_64 host) cannot do as this personality's driver did, and why
    /// (docs/decisions.md, "poll, epoll and O_ASYNC per transport", "Unchecked `*reslen` per
    /// transport"); `call` names the transport and the call.
    public var transportLimits: [PersonalityDifference] {
        let cuseFasync = PersonalityDifference(
            call: "CUSE: O_ASYNC", behaviour: "FIOASYNC → ENOTTY, F_SETFL O_ASYNC returns 0 and leaves the flag off, no signal: the kernel's CUSE files have no fasync method and libfuse's CUSE operations none to offer")
        let i386Limit = PersonalityDifference(
            call: "host: 32-bit callers", behaviour: "access_ok allows addresses up to 0xFFFFE000, not an i386 kernel's 0xC0000000: clients run on x86_64 hosts, where a 32-bit process's memory lies above 3 GiB")
        let cuseReslen = PersonalityDifference(
            call: "CUSE: read-only *reslen", behaviour: "EFAULT, nothing copied (the kernel ignores put_user's fault and answers as usual; so does preload): the host kernel copies *reslen out after the daemon's reply, and a fault there fails the whole ioctl unseen by the daemon")
        switch self {
        case .documented:
            return [
                .init(call: "preload: epoll", behaviour: "epoll_ctl → EPERM (poll and select work): the library cannot make its socket's readiness follow the event queue"),
            ]
        case .linux2618, .linux2618i386:
            return [
                .init(call: "CUSE: epoll", behaviour: "epoll_ctl accepts the file (its poll answers the default mask): a CUSE file always has a poll method"),
                cuseFasync,
                cuseReslen,
            ] + (self == .linux2618i386 ? [i386Limit] : [])
        case .linux24:
            return [
                .init(call: "CUSE: epoll", behaviour: "epoll_ctl accepts the file (its poll answers the default mask): a CUSE file always has a poll method"),
                .init(call: "CUSE: O_ASYNC", behaviour: "FIOASYNC → ENOTTY, F_SETFL O_ASYNC returns 0 and leaves the flag off, no SIGIO: the kernel's CUSE files have no fasync method and libfuse's CUSE operations none to offer"),
                .init(call: "preload: SIGIO", behaviour: "sent by the daemon with kill() (si_code SI_USER, no si_fd/si_band), to owners the F_SETOWN caller may signal and the daemon can see"),
                cuseReslen,
                i386Limit,
            ]
        }
    }

    public var differences: [PersonalityDifference] {
        switch self {
        case .documented:
            return []
        case .linux2618i386:
            return [.init(call: "32-bit callers", behaviour: "every ioctl natively (no compat layer); 0x8008690C is the native PASSTHRU")]
                + PersonalityName.linux2618.differences.filter { $0.call != "32-bit callers" && $0.call != "/dev/dptiN, 32-bit" }
        case .linux2618:
            return [
                .init(call: "I2OPARMGET/SET", behaviour: "success: *reslen = 0, nothing copied; IOP failure: *reslen = ReqStatus; no reply → EAGAIN; no NULL-resbuf check"),
                .init(call: "32-bit callers", behaviour: "only I2OGETIOPS and I2OPASSTHRU32 (the x86_64 kernel's compat layer); everything else EINVAL"),
                .init(call: "I2OSWDL/SWUL", behaviour: "IOP failure: ioctl returns the positive ReqStatus; SWUL never writes *swlen/*maxfrag; a 0-byte fragment → ENOMEM (no DMA buffer), up to 4 MiB allowed"),
                Self.swDeleteValidate,
                .init(call: "I2OEVTREG/EVTGET", behaviour: "the mask never reaches the IOP (4-word frame); no event ever queued; EVTGET → ENOENT"),
                .init(call: "I2OLCTGET", behaviour: "header words 1 and 2 swapped (CurrentChangeIndicator at byte 4, IopFlags at byte 8)"),
                Self.hrtGetShort,
                .init(call: "I2OPASSTHRU", behaviour: "reply zero-filled except words 2-3 (caller's contexts) and word 4 = status<<24 on failure, written on element failures too (not PASSTHRU32's non-simple one); positive ReqStatus returned; frame > inbound size → EFAULT"),
                .init(call: "I2OHTML", behaviour: "not implemented: EINVAL"),
                Self.driverTables,
                Self.uncheckedReslen,
                Self.postWait,
                Self.openClose,
                .init(call: "TIDs", behaviour: "looked up as a u16: PARMGET/SET and EVTREG with TID 0x10008 reach device 0x008"),
                .init(call: "read()/write()", behaviour: "EINVAL"),
                Self.noPoll,
                .init(call: "O_ASYNC", behaviour: "FIOASYNC and F_SETFL O_ASYNC accepted (a fasync method); no signal is ever sent (no event is ever queued)"),
                Self.dptiTargetBusy,
                .init(call: "/dev/dptiN, 32-bit", behaviour: "through mainline's compat switch: only the 64-bit numbers (64-bit layouts); DPT_SIGNATURE's i386 number → EINVAL, so a 32-bit tool finds no card"),
            ]
        case .linux24:
            return [
                .init(call: "I2OPARMGET/SET", behaviour: "real lengths; one failing block (read-only field, unknown group) → EAGAIN; IOP failure: *reslen = DetailedStatus, that many never-written bytes copied (i2osim: 0xA5); TID not checked"),
                .init(call: "I2OSWDL/SWUL", behaviour: "IOP failure: ioctl returns the positive DetailedStatus; SWUL never writes *swlen/*maxfrag; a fragment above 128 KiB → ENOMEM (kmalloc)"),
                Self.swDeleteValidate,
                .init(call: "I2OHTML", behaviour: "short buffer → ENOMEM with the page copied (up to *reslen); no such page/TID: the failure ignored, strnlen over the never-written reply buffer (i2osim: 65536 bytes of 0xA5)"),
                Self.hrtGetShort,
                .init(call: "I2OPASSTHRU", behaviour: "does not exist: EINVAL"),
                Self.driverTables,
                Self.uncheckedReslen,
                Self.postWait,
                Self.openClose,
                .init(call: "I2OEVTREG", behaviour: "a reply the IOP gives the registration (a refusal) is queued as an event, its EventMask the status word"),
                .init(call: "I2OEVTGET", behaviour: "lost is a u16: it wraps at 65,536"),
                .init(call: "read()/write()", behaviour: "read() returns 0 (EOF), write() returns 0"),
                Self.noPoll,
                .init(call: "O_ASYNC", behaviour: "FIOASYNC and F_SETFL O_ASYNC accepted (a fasync method); each event queued to the file signals its F_SETOWN owner: SIGIO, or the F_SETSIG signal"),
                Self.dptiTargetBusy,
            ]
        }
    }
}
