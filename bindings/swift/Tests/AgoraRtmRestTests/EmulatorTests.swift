import Foundation
import XCTest
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
@testable import AgoraRtmRest

/// The `agora-rtm emulator` binary on port 0 (path from `AGORA_RTM_BIN`).
final class Emulator {
    let process = Process()
    let baseUrl: String

    init(_ extra: [String] = []) throws {
        guard let bin = ProcessInfo.processInfo.environment["AGORA_RTM_BIN"] else {
            throw XCTSkip("AGORA_RTM_BIN is not set")
        }
        let out = Pipe()
        process.executableURL = URL(fileURLWithPath: bin)
        process.arguments = ["emulator", "--port", "0"] + extra
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while true {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let range = text.range(of: #"https?://\S+"#, options: .regularExpression) else {
            throw NSError(domain: "emulator", code: 1, userInfo: [NSLocalizedDescriptionKey: text])
        }
        baseUrl = String(text[range])
    }

    func post(_ path: String, _ json: String) async throws {
        var req = URLRequest(url: URL(string: baseUrl + path)!)
        req.httpMethod = "POST"
        req.setValue("application/json", forHTTPHeaderField: "content-type")
        req.httpBody = Data(json.utf8)
        _ = try await URLSession.shared.data(for: req)
    }

    func put(_ path: String, _ json: String) async throws {
        var req = URLRequest(url: URL(string: baseUrl + path)!)
        req.httpMethod = "PUT"
        req.setValue("application/json", forHTTPHeaderField: "content-type")
        req.httpBody = Data(json.utf8)
        _ = try await URLSession.shared.data(for: req)
    }

    func get(_ path: String) async throws -> Data {
        let (data, _) = try await URLSession.shared.data(for: URLRequest(url: URL(string: baseUrl + path)!))
        return data
    }

    deinit { process.terminate() }
}

/// An HTTP stack in Swift (URLSession), plugged in through `HttpTransport`.
final class URLSessionTransport: HttpTransport, @unchecked Sendable {
    var calls = 0

    func send(request: HttpRequest) async throws -> HttpResponse {
        calls += 1
        var req = URLRequest(url: URL(string: request.url())!)
        req.httpMethod = request.method()
        for h in request.headers() { req.setValue(h.value, forHTTPHeaderField: h.name) }
        if let body = request.body() { req.httpBody = body }
        do {
            let (data, resp) = try await URLSession.shared.data(for: req)
            let http = resp as! HTTPURLResponse
            let headers = http.allHeaderFields.map { HttpHeader(name: "\($0.key)", value: "\($0.value)") }
            return HttpResponse(status: UInt16(http.statusCode), headers: headers, body: data)
        } catch {
            throw HttpTransportError.Failed(kind: .connect, reason: "\(error)")
        }
    }
}

final class EmulatorTests: XCTestCase {
    static var counter = 0
    func appId() -> String { Self.counter += 1; return "swift-app-\(Self.counter)" }

    func client(_ emu: Emulator, _ app: String, transport: HttpTransport? = nil) throws -> Client {
        try Client(options: ClientOptions(
            appId: app, credentials: try Credentials.basic(customerId: "c", customerSecret: "s3cr3t-value"),
            baseUrls: [emu.baseUrl], transport: transport))
    }

    func testReadsAndDrains() async throws {
        let emu = try Emulator()
        let app = appId()
        let events = (0..<1500).map { #"{"user_id":"u\#($0)","type":"Login","ms":\#(1000 + $0)}"# }
        try await emu.post("/_emulator/apps/\(app)/user_events", "[" + events.joined(separator: ",") + "]")
        let c = try client(emu, app)
        let first = try await c.userEvents()
        XCTAssertEqual(first.events.count, 1000)
        XCTAssertTrue(first.isFull)
        XCTAssertEqual(first.events[0].kind, .login)
        let second = try await c.userEvents()
        XCTAssertEqual(second.events.count, 500)
        XCTAssertFalse(second.isFull)
    }

    func testAuthFailure() async throws {
        let emu = try Emulator(["--customer-id", "cid", "--customer-secret", "right"])
        let c = try Client(options: ClientOptions(
            appId: appId(), credentials: try Credentials.basic(customerId: "cid", customerSecret: "wrong"),
            baseUrls: [emu.baseUrl]))
        do {
            _ = try await c.userEvents()
            XCTFail("expected an auth error")
        } catch AgoraRtmError.Auth(let status, _, _, _) {
            XCTAssertEqual(status, 401)
        }
    }

    func testRateLimitWaits() async throws {
        let emu = try Emulator()
        let c = try Client(options: ClientOptions(
            appId: appId(), credentials: try Credentials.basic(customerId: "c", customerSecret: "s"),
            baseUrls: [emu.baseUrl], rateLimit: RateLimit(limit: 4, windowMs: 1000),
            shareRateLimitInProcess: false))
        let start = Date()
        for _ in 0..<6 { _ = try await c.userEvents() }
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(start), 1.1)
    }

    func testSwiftTransport() async throws {
        let emu = try Emulator()
        let app = appId()
        try await emu.post("/_emulator/apps/\(app)/user_events", #"[{"user_id":"a","type":"Login","ms":1}]"#)
        let t = URLSessionTransport()
        let c = try client(emu, app, transport: t)
        let page = try await c.userEvents()
        XCTAssertEqual(page.events.map { $0.userId }, ["a"])
        XCTAssertEqual(t.calls, 1)
    }

    func testWatchWithPresence() async throws {
        let emu = try Emulator()
        let app = appId()
        try await emu.post("/_emulator/apps/\(app)/user_events", #"[{"user_id":"alice","type":"Login","ms":10}]"#)
        try await emu.post("/_emulator/apps/\(app)/channel_events", #"[{"group_id":"lobby","user_id":"alice","type":"Join","ms":11}]"#)
        let w = try client(emu, app).watch(options: WatchOptions(presence: true, statsIntervalMs: 0))
        var events = 0
        for try await item in w.items {
            switch item {
            case .user, .channel: events += 1
            default: break
            }
            if events == 2 { break }
        }
        let p = try XCTUnwrap(w.presence())
        XCTAssertEqual(p.online.map { $0.userId }, ["alice"])
        XCTAssertEqual(p.channels.map { $0.channelId }, ["lobby"])
        w.stop()
        while try await w.next() != nil {}
    }

    func testCancellationDoesNotHang() async throws {
        let emu = try Emulator()
        let w = try client(emu, appId()).watch(options: WatchOptions(statsIntervalMs: 0))
        let task = Task { for try await _ in w.items {} }
        try await Task.sleep(nanoseconds: 300_000_000)
        task.cancel()
        _ = await task.result
        while try await w.next() != nil {}
    }

    func testSecretsNotInDescription() throws {
        let creds = try Credentials.basic(customerId: "c", customerSecret: "s3cr3t-value")
        XCTAssertFalse("\(creds)".contains("s3cr3t-value"))
    }

    func testTokens() throws {
        let token = try buildRtmToken(
            appId: "970CA35de60c44645bbae8a215061b33", appCertificate: "5CFd2fd1755d40ecb72977518be15d3b",
            userId: "test_user", lifetimeSecs: 600, issueTs: 1111111, salt: 1)
        XCTAssertTrue(token.hasPrefix("007eJxTYOCdJftjyTM2zxW6"))
        XCTAssertEqual(try parseToken(token: token).userId, "test_user")
        XCTAssertThrowsError(try verifyToken(token: token, appCertificate: "5CFd2fd1755d40ecb72977518be15d3b", nowUnix: 9_999_999_999))
    }
}
