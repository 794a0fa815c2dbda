#if canImport(Glibc)
import Glibc
#endif

/// One line on standard error.
func errorLine(_ text: String) {
    let b = Array(text.utf8)
    _ = b.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

#if FUZZING
/// The target, chosen once from $I2OSIM_FUZZ_TARGET.
let selectedTarget: @Sendable ([UInt8]) -> Void = {
    let name = getenv("I2OSIM_FUZZ_TARGET").map { String(cString: $0) } ?? ""
    guard let t = FuzzTargets.all[name] else {
        errorLine("i2osim-fuzz: set I2OSIM_FUZZ_TARGET to one of \(FuzzTargets.all.keys.sorted())\n")
        exit(2)
    }
    return t
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    selectedTarget(bytes)
    return 0
}

/// libFuzzer's driver (in libclang_rt.fuzzer). Declared by name: its C signature passes three
/// pointers in the same registers Swift's convention uses on x86_64 and arm64.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

/// SwiftPM links an executable with `main` defined as `<module>_main`, so libFuzzer's own
/// `main` is not linked in: this is it.
@_cdecl("i2osim_fuzz_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var c = argc
    var v = argv
    return LLVMFuzzerRunDriver(&c, &v) { data, size in fuzzOne(data, size) }
}
#else
/// `i2osim-fuzz TARGET FILE|DIR...`: runs each file (each file of each directory) through TARGET.
@main
struct Replay {
    static func main() {
        let args = CommandLine.arguments
        if args.count == 3, args[1] == "--write-seeds" { Seeds.write(to: args[2]); return }
        guard args.count >= 2, let target = FuzzTargets.all[args[1]] else {
            errorLine("usage: i2osim-fuzz TARGET FILE|DIR...   targets: \(FuzzTargets.all.keys.sorted().joined(separator: " "))\n")
            exit(2)
        }
        var count = 0
        for path in args.dropFirst(2) {
            for file in files(path) {
                guard let bytes = readFile(file) else { errorLine("i2osim-fuzz: cannot read \(file)\n"); exit(1) }
                target(bytes)
                count += 1
            }
        }
        print("i2osim-fuzz \(args[1]): \(count) inputs replayed, no crash")
    }

    static func files(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [path] }
        defer { closedir(dir) }
        var out: [String] = []
        while let e = readdir(dir) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            if name.hasPrefix(".") { continue }
            out.append(path + "/" + name)
        }
        return out.sorted()
    }

    static func readFile(_ path: String) -> [UInt8]? {
        guard let f = fopen(path, "rb") else { return nil }
        defer { fclose(f) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return out
    }
}
#endif
