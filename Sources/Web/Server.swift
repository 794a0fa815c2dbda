import Foundation
import Hummingbird
import I2OFormats
import IOPModel
import Logging
import NIOCore
import Synchronization

/// Why the front end could not serve, said for a person.
public struct WebError: Error, CustomStringConvertible {
    public var description: String
    init(_ d: String) { description = d }
}

/// `i2osim web`: the HTTP front end (Hummingbird) over a `DeviceClient`.
///
/// Safe by default: it listens where it is told (the CLI allows only loopback addresses unless
/// `--allow-remote`), answers only requests whose Host header names it (`HostPolicy`), takes every
/// change as a POST carrying its session's token (`Sessions`), and serves nothing but pages made
/// from what the control device answers — no files, no proxying.
public final class WebFrontEnd: Sendable {
    public let reader: MachineReader
    public let host: String
    public let port: Int
    let extraHosts: [String]
    public let sessions = Sessions()
    let events = EventLog()
    /// Set once the server is bound (the port may have been 0).
    let hosts: Mutex<HostPolicy>

    public init(device: DeviceClient, host: String, port: Int, allowHosts: [String] = []) {
        reader = MachineReader(device: device)
        self.host = host; self.port = port; extraHosts = allowHosts
        hosts = Mutex(HostPolicy(host: host, port: port, extra: allowHosts))
    }

    /// The router with every route and the guard in front of them.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: Guard(front: self))
        router.get("/") { request, _ in self.overview(request) }
        router.get("/events") { request, _ in self.eventsJSON(request) }
        router.get("/iop/:iop/tid/:tid") { request, context in
            let (iop, tid) = try Self.target(context)
            return self.devicePage(request, iop: iop, tid: tid)
        }
        router.post("/iop/:iop/tid/:tid/set") { request, context in
            let (iop, tid) = try Self.target(context)
            var request = request
            let form = Self.form(Array(buffer: try await request.collectBody(upTo: 65536)))
            return self.set(request, iop: iop, tid: tid, form: form)
        }
        router.get("/iop/:iop/tid/:tid/page/:page") { request, context in
            let (iop, tid) = try Self.target(context)
            let page = try context.parameters.require("page", as: UInt32.self)
            let s = self.session(request)
            return Self.html(Pages.ownPage(iop: iop, tid: tid, page: page, token: s.token), session: s)
        }
        router.get("/frame/:token/iop/:iop/tid/:tid/page/:page") { request, context in
            try self.frame(request, context, body: nil)
        }
        router.post("/frame/:token/iop/:iop/tid/:tid/page/:page") { request, context in
            var request = request
            let body = Array(buffer: try await request.collectBody(upTo: 8192))
            return try self.frame(request, context, body: body)
        }
        return router
    }

    /// Serves until SIGINT/SIGTERM; `ready` gets the address once the server listens.
    public func run(ready: @escaping @Sendable (String) -> Void) async throws {
        var logger = Logger(label: "i2osim.web")
        logger.logLevel = .warning
        let app = Application(router: router(), configuration: .init(address: .hostname(host, port: port), serverName: "i2osim"),
                              onServerRunning: { channel in
                                  let bound = channel.localAddress?.port ?? self.port
                                  self.hosts.withLock { $0 = HostPolicy(host: self.host, port: bound, extra: self.extraHosts) }
                                  let shown = self.host.contains(":") ? "[\(self.host)]" : self.host
                                  ready("http://\(shown):\(bound)/")
                              }, logger: logger)
        let poller = Task { await self.pollEvents() }
        defer { poller.cancel() }
        do { try await app.runService() } catch let e as IOError where e.errnoCode == EADDRINUSE || e.errnoCode == EADDRNOTAVAIL || e.errnoCode == EACCES {
            let shown = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            throw WebError("cannot listen on \(shown): \(e.errnoCode == EADDRINUSE ? "the port is in use" : e.errnoCode == EACCES ? "permission denied" : "no such local address")"
                           + " — choose another with --listen HOST:PORT (port 0: any free one)")
        }
    }

    // MARK: Pages

    static func target(_ context: BasicRequestContext) throws -> (UInt32, UInt32) {
        (try context.parameters.require("iop", as: UInt32.self), try context.parameters.require("tid", as: UInt32.self))
    }

    func session(_ request: Request) -> (id: String, token: String, isNew: Bool) {
        sessions.session(request.cookies["i2osim_session"]?.value)
    }

    static func html(_ doc: Document, status: HTTPResponse.Status = .ok, session: (id: String, token: String, isNew: Bool)? = nil) -> Response {
        var r = Response(status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                         body: .init(byteBuffer: ByteBuffer(string: doc.rendered)))
        if let session, session.isNew {
            r.headers[.setCookie] = "i2osim_session=\(session.id); Path=/; HttpOnly; SameSite=Strict"
        }
        return r
    }

    func overview(_ request: Request) -> Response {
        let s = session(request)
        do {
            let iops = try reader.overview()
            events.register(iops, with: reader.device)
            return Self.html(Pages.overview(iops, device: reader.device.path), session: s)
        } catch {
            return Self.html(Pages.failure("the machine", "\(error)"), status: .badGateway, session: s)
        }
    }

    func devicePage(_ request: Request, iop: UInt32, tid: UInt32, error: String? = nil, ok: String? = nil) -> Response {
        let s = session(request)
        let groups = reader.groups(iop: iop, tid: tid)
        let hasPage = (try? reader.device.html(iop: iop, tid: tid, page: 0, query: [])) != nil
        return Self.html(Pages.device(iop: iop, tid: tid, groups: groups, hasPage: hasPage, token: s.token, error: error, ok: ok), session: s)
    }

    /// POST `/iop/N/tid/T/set`: token, group (hex), field, value → one FIELD_SET through I2OPARMSET.
    func set(_ request: Request, iop: UInt32, tid: UInt32, form: [String: String]) -> Response {
        guard sessions.check(session: request.cookies["i2osim_session"]?.value, token: form["token"]) else {
            return Self.html(Pages.failure("refused", "This form's token is not this browser session's (an old page, or another site's form): reload the page and try again."),
                             status: .forbidden)
        }
        guard let g = form["group"].flatMap({ UInt16($0, radix: 16) }), let field = form["field"], let value = form["value"] else {
            return Self.html(Pages.failure("refused", "The form needs group (hex), field and value."), status: .badRequest)
        }
        if let failure = reader.set(iop: iop, tid: tid, group: g, field: field, value: value) {
            return devicePage(request, iop: iop, tid: tid, error: "I2OPARMSET \(field): \(failure)")
        }
        return devicePage(request, iop: iop, tid: tid, ok: "I2OPARMSET: \(field) set to \"\(value)\"")
    }

    /// `/frame/TOKEN/iop/N/tid/T/page/P`: the device's page itself, for the sandboxed frame. A GET
    /// with a query (a link's) is turned into a confirmation; a POST sends its body (a form of the
    /// page), or else the URL's query (the confirmed link's), through I2OHTML and returns the page the IOP gives back.
    func frame(_ request: Request, _ context: BasicRequestContext, body: [UInt8]?) throws -> Response {
        let token = try context.parameters.require("token")
        guard sessions.isIssued(token) else {
            return Self.html(Pages.failure("refused", "This page's address holds no token of this server: open it from the device's page."), status: .forbidden)
        }
        let (iop, tid) = try Self.target(context)
        let page = try context.parameters.require("page", as: UInt32.self)
        let urlQuery = request.uri.query ?? ""
        if body == nil && !urlQuery.isEmpty {
            return Self.sandboxed(Self.html(Pages.confirmQuery(query: urlQuery, action: request.uri.string)))
        }
        // A form's fields (the body), else the confirmed link's query (the URL's).
        let query = body.map { $0.isEmpty ? Array(urlQuery.utf8) : $0 } ?? []
        do {
            let bytes = try reader.device.html(iop: iop, tid: tid, page: page, query: query)
            return Self.sandboxed(Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                                           body: .init(byteBuffer: ByteBuffer(bytes: bytes))))
        } catch {
            return Self.sandboxed(Self.html(Pages.failure("the device's page", "I2OHTML page \(page) of TID \(hex(tid, width: 3)): \(error)"),
                                            status: .badGateway))
        }
    }

    /// The device's HTML runs without scripts, in a unique origin, posting only to this server.
    static func sandboxed(_ response: Response) -> Response {
        var r = response
        r.headers[.contentSecurityPolicy] =
            "sandbox allow-forms; default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'self'"
        return r
    }

    // MARK: Events

    func eventsJSON(_ request: Request) -> Response {
        let after = request.uri.queryParameters.get("after", as: Int.self) ?? 0
        let list = events.since(after).map { EventLog.JSONEvent(seq: $0.seq, text: $0.text) }
        let text = (try? JSONEncoder().encode(list)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
        return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    func pollEvents() async {
        if let iops = try? reader.overview() { events.register(iops, with: reader.device) }
        while !Task.isCancelled {
            events.drain(reader.device)
            try? await Task.sleep(for: .milliseconds(250))
        }
    }

    // MARK: Forms

    /// An `application/x-www-form-urlencoded` body as a dictionary (the last of a repeated name wins).
    static func form(_ body: [UInt8]) -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in IOP.formFields(body) { out[k] = v }
        return out
    }
}

/// The checks every request passes first: the Host header names this server; a POST comes from
/// this server's pages (Origin, when the browser sends one, is this server or the sandboxed frame's
/// `null`). Every answer tells the browser not to guess types (and each page to send no Referer).
struct Guard: RouterMiddleware {
    typealias Context = BasicRequestContext
    let front: WebFrontEnd

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let policy = front.hosts.withLock { $0 }
        if let (status, text) = Self.refusal(isPost: request.method == .post, authority: request.head.authority,
                                             origin: request.headers[.origin], policy: policy) {
            return WebFrontEnd.html(Pages.failure("refused", text), status: status)
        }
        var r = try await next(request, context)
        r.headers[.xContentTypeOptions] = "nosniff"
        if r.headers[.contentSecurityPolicy] == nil {
            r.headers[.contentSecurityPolicy] =
                "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline' 'self'; frame-ancestors 'none'"
        }
        return r
    }

    /// Why a request is refused (status, text), or nil: a Host that is not this server's → 421;
    /// a POST whose Origin is another site → 403.
    static func refusal(isPost: Bool, authority: String?, origin: String?, policy: HostPolicy) -> (HTTPResponse.Status, String)? {
        guard policy.accepts(authority) else {
            return (.misdirectedRequest, "Host \(authority ?? "(none)") is not this server's address (it answers "
                    + "\(policy.allowed.sorted().joined(separator: ", "))); to be reached by another name start it with --allow-host NAME.")
        }
        if isPost, let origin, origin != "null", !policy.allowed.contains(where: { "http://\($0)" == origin.lowercased() }) {
            return (.forbidden, "A form of \(origin) may not change this machine.")
        }
        return nil
    }
}
