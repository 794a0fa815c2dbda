#if canImport(Glibc)
import Glibc
#endif
import CPosix

/// A detached POSIX thread running a closure: the accept loops, one thread per connection, the
/// helper threads of the transports.
public enum DetachedThread {
    /// Starts a detached thread (default attributes: the process's stack size) running `body`,
    /// named `name` when given (Linux keeps its first 15 bytes). False when the thread could not
    /// be created; `body` is then not run.
    ///
    /// The corresponding C functions are `pthread_create`, `pthread_detach` and `pthread_setname_np`.
    @discardableResult
    public static func start(name: String? = nil, _ body: @escaping @Sendable () -> Void) -> Bool {
        let box = Unmanaged.passRetained(Box(name: name, body: body)).toOpaque()
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { p in
            let box = Unmanaged<Box>.fromOpaque(p!).takeRetainedValue()
            if let name = box.name {
                let cName = Array(name.utf8.prefix(15)).map { CChar(bitPattern: $0) } + [0]
                _ = pthread_setname_np(pthread_self(), cName)
            }
            box.body()
            return nil
        }, box)
        guard rc == 0 else {
            Unmanaged<Box>.fromOpaque(box).release()
            return false
        }
        pthread_detach(tid)
        return true
    }

    private final class Box: Sendable {
        let name: String?
        let body: @Sendable () -> Void
        init(name: String?, body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }
}
