import I2OFormats

/// How long a host driver waits, per kind of wait (docs/kernels.md §Core, §Ioctls). A request
/// whose frame the IOP does not answer (a failed or hung IOP, a PASSTHRU of a function that has
/// no reply) waits the entry `postWait(for:)` names, then takes its kernel's no-reply path
/// (`Engine`'s post-wait, docs/kernels.md §PostWait).
///
/// The values are the kernels' seconds; `scaled(by:)` shrinks them for tests
/// (`I2OSIM_TIMEOUT_SCALE=0.01` makes a 60 s wait 0.6 s).
public struct Timeouts: Sendable, Hashable, CustomStringConvertible {
    /// Waiting for a free inbound message frame (2.6.18 `i2o_msg_get_wait`: 5 s; 2.4
    /// `i2o_post_this`: a 1 s busy-wait).
    public var frameGet: Duration
    /// UtilParamsGet/Set (PARMGET/PARMSET): 10 s.
    public var params: Duration
    /// ExecSwDownload/ExecSwUpload (SWDL/SWUL): 60 s.
    public var swTransfer: Duration
    /// ExecSwRemove (SWDEL): 10 s.
    public var swRemove: Duration
    /// ExecConfigValidate (VALIDATE): 10 s.
    public var validate: Duration
    /// UtilConfigDialog (HTML, 2.4): 400 s.
    public var configDialog: Duration
    /// PASSTHRU (2.6.18): 60 s.
    public var passthru: Duration
    /// ExecHrtGet as the core issues it: 20 s.
    public var hrtGet: Duration
    /// ExecLctNotify as the core issues it: 360 s.
    public var lctNotify: Duration

    public init(frameGet: Duration, params: Duration, swTransfer: Duration, swRemove: Duration, validate: Duration,
                configDialog: Duration, passthru: Duration, hrtGet: Duration, lctNotify: Duration) {
        self.frameGet = frameGet; self.params = params; self.swTransfer = swTransfer; self.swRemove = swRemove
        self.validate = validate; self.configDialog = configDialog; self.passthru = passthru
        self.hrtGet = hrtGet; self.lctNotify = lctNotify
    }

    /// Linux 2.6.18 (iop.c, exec-osm.c, device.c, i2o_config.c).
    public static let linux2618 = Timeouts(frameGet: .seconds(5), params: .seconds(10), swTransfer: .seconds(60),
                                           swRemove: .seconds(10), validate: .seconds(10), configDialog: .seconds(400),
                                           passthru: .seconds(60), hrtGet: .seconds(20), lctNotify: .seconds(360))
    /// Linux 2.4.20 (i2o_core.c, i2o_config.c): its core fetches the LCT with a 120 s wait. No
    /// PASSTHRU in 2.4; the entry is 2.6.18's.
    public static let linux24 = Timeouts(frameGet: .seconds(1), params: .seconds(10), swTransfer: .seconds(60),
                                         swRemove: .seconds(10), validate: .seconds(10), configDialog: .seconds(400),
                                         passthru: .seconds(60), hrtGet: .seconds(20), lctNotify: .seconds(120))
    /// `documented`: the contract names no values; it uses 2.6.18's (HTML 2.4's).
    public static let documented = linux2618

    /// How long the driver waits for the reply to a frame of `function` it posts for an ioctl;
    /// nil for a frame it posts without waiting (UtilEventRegister: the kernels' config drivers
    /// never wait for it). `passthru`: the frame came from PASSTHRU, whose wait does not depend on
    /// the function.
    public func postWait(for function: I2OFunction, passthru: Bool = false) -> Duration? {
        if passthru { return self.passthru }
        switch function {
        case .utilParamsGet, .utilParamsSet: return params
        case .execSwDownload, .execSwUpload: return swTransfer
        case .execSwRemove: return swRemove
        case .execConfigValidate: return validate
        case .utilConfigDialog: return configDialog
        case .execHrtGet: return hrtGet
        case .execLctNotify: return lctNotify
        case .utilEventRegister: return nil
        default: return params
        }
    }

    /// Every entry multiplied by `factor` (negative or non-finite factors count as 1).
    public func scaled(by factor: Double) -> Timeouts {
        let f = factor.isFinite && factor >= 0 ? factor : 1
        func s(_ d: Duration) -> Duration { d * f }
        return Timeouts(frameGet: s(frameGet), params: s(params), swTransfer: s(swTransfer), swRemove: s(swRemove),
                        validate: s(validate), configDialog: s(configDialog), passthru: s(passthru),
                        hrtGet: s(hrtGet), lctNotify: s(lctNotify))
    }

    /// `$I2OSIM_TIMEOUT_SCALE` as a number; 1 when unset or not a non-negative number.
    public static func environmentScale(_ environment: [String: String]) -> Double {
        guard let text = environment["I2OSIM_TIMEOUT_SCALE"], let v = Double(text), v.isFinite, v >= 0 else { return 1 }
        return v
    }

    public var description: String {
        "frame \(frameGet), params \(params), swdl/swul \(swTransfer), swdel \(swRemove), validate \(validate), "
            + "html \(configDialog), passthru \(passthru), core HRT \(hrtGet), core LCT \(lctNotify)"
    }
}

extension PersonalityName {
    /// The waits of this personality's kernel, unscaled.
    public var timeouts: Timeouts {
        switch self {
        case .documented: .documented
        case .linux2618, .linux2618i386: .linux2618
        case .linux24: .linux24
        }
    }
}
