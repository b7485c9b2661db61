import Foundation
import XCTest
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
@testable import AgoraRtmRest

/// Messages and both history APIs against the emulator (mirrors the Kotlin MessagesTest).
final class MessagesTests: XCTestCase {
    static var counter = 0
    func appId() -> String { Self.counter += 1; return "swift-msg-\(Self.counter)" }

    /// A client with a short legacy-history poll interval (the emulator answers `in progress` once per query).
    func client(_ emu: Emulator, _ app: String, credentials: Credentials? = nil) throws -> Client {
        try Client(options: ClientOptions(
            appId: app,
            credentials: try credentials ?? Credentials.basic(customerId: "c", customerSecret: "s3cr3t-value"),
            baseUrls: [emu.baseUrl],
            historyPollIntervalMs: 50,
            historyPollTimeoutMs: 20_000))
    }

    func nowSecs() -> UInt64 { UInt64(Date().timeIntervalSince1970) }

    func query(_ destination: String, limit: UInt32? = nil) -> HistoryQuery {
        HistoryQuery(destination: destination, startTimeSecs: nowSecs() - 3600, endTimeSecs: nowSecs() + 3600, limit: limit)
    }

    /// Requests the emulator received for `app` (0 when it never heard of the app).
    func requests(_ emu: Emulator, _ app: String) async throws -> Int {
        let stats = try JSONSerialization.jsonObject(with: try await emu.get("/_emulator/stats")) as? [String: Any]
        let apps = stats?["apps"] as? [String: Any]
        return ((apps?[app] as? [String: Any])?["requests"] as? Int) ?? 0
    }

    /// The field of the InvalidInput error `body` throws.
    func field(_ body: () async throws -> Void, file: StaticString = #filePath, line: UInt = #line) async -> String? {
        do {
            try await body()
            XCTFail("expected InvalidInput", file: file, line: line)
        } catch AgoraRtmError.InvalidInput(let field, _) {
            return field
        } catch {
            XCTFail("expected InvalidInput, got \(error)", file: file, line: line)
        }
        return nil
    }

    func testPeerMessageOutcomes() async throws {
        let emu = try Emulator()
        let app = appId()
        let c = try client(emu, app)
        try await emu.put("/_emulator/apps/\(app)/online/alice", #"{"online": true}"#)
        let delivered = try await c.sendPeerMessage(from: "server", to: "alice", payload: "hello", waitForAck: true)
        XCTAssertEqual(delivered.outcome, .delivered)
        XCTAssertEqual(delivered.code, "message_delivered")
        XCTAssertFalse(delivered.requestId.isEmpty)
        let offline = try await c.sendPeerMessage(from: "server", to: "bob", payload: "hello", waitForAck: true)
        XCTAssertEqual(offline.outcome, .offline)
        XCTAssertEqual(offline.code, "message_offline")
        let sent = try await c.sendPeerMessage(from: "server", to: "carol", payload: "no ack")
        XCTAssertEqual(sent.outcome, .sent)
    }

    func testStoredChannelMessageInBothHistories() async throws {
        let emu = try Emulator()
        let app = appId()
        let c = try client(emu, app)
        let r = try await c.sendChannelMessage(from: "alice", channel: "lobby", payload: "hi all", storeInHistory: true)
        XCTAssertEqual(r.outcome, .sent)
        _ = try await c.sendChannelMessage(from: "alice", channel: "lobby", payload: "not stored")

        var legacy: [HistoryMessage] = []
        for try await m in try c.historyMessages(query: query("lobby")) { legacy.append(m) }
        XCTAssertEqual(legacy.count, 1)
        XCTAssertEqual(legacy.first?.src, "alice")
        XCTAssertEqual(legacy.first?.dst, "lobby")
        XCTAssertEqual(legacy.first?.messageType, "channel_message")
        XCTAssertEqual(legacy.first?.payload, "hi all")

        var v2: [HistoryV2Message] = []
        for try await m in try c.historyV2Messages(query: HistoryV2Query(userId: "alice", channelType: .message, channel: "lobby")) {
            v2.append(m)
        }
        XCTAssertEqual(v2.count, 1)
        XCTAssertEqual(v2.first?.publisher, "alice")
        XCTAssertEqual(v2.first?.payload, HistoryV2Payload.text(text: "hi all"))
        XCTAssertEqual(v2.first?.timestamp, legacy.first?.ms)

        let count = try await c.countHistory(source: nil, destination: "lobby", startTimeSecs: nowSecs() - 3600, endTimeSecs: nowSecs() + 3600)
        XCTAssertEqual(count, 1)
    }

    func testPaging250Messages() async throws {
        let emu = try Emulator()
        let app = appId()
        let c = try client(emu, app)
        let sent = (0..<250).map { "m\($0)" }
        for p in sent { _ = try await c.sendChannelMessage(from: "alice", channel: "big", payload: p, storeInHistory: true) }

        // legacy: limit 100 -> 100, 100, 50, then done
        let pager = try c.historyPages(query: query("big", limit: 100))
        var sizes: [Int] = []
        var legacy: [HistoryMessage] = []
        while let page = try await pager.nextPage() {
            sizes.append(page.count)
            legacy += page
        }
        XCTAssertEqual(sizes, [100, 100, 50])
        XCTAssertEqual(legacy.map { $0.payload }, sent)
        XCTAssertTrue(pager.isDone())

        // v2: page size 100, newStart paging to 0: every message once, newest first
        let v2Pager = try c.historyV2Pages(query: HistoryV2Query(userId: "alice", channelType: .message, channel: "big", messageCount: 100))
        var texts: [String] = []
        var stamps: [UInt64] = []
        while let page = try await v2Pager.nextPage() {
            XCTAssertLessThanOrEqual(page.count, 100)
            for m in page {
                guard case .text(let t) = m.payload else { return XCTFail("binary payload") }
                texts.append(t)
                stamps.append(m.timestamp)
            }
        }
        XCTAssertEqual(Set(texts).count, 250)
        XCTAssertEqual(texts, Array(sent.reversed()))
        XCTAssertEqual(stamps, stamps.sorted(by: >))
    }

    func testInvalidInputBeforeAnyRequest() async throws {
        let emu = try Emulator()
        let app = appId()
        let c = try client(emu, app)
        let start = nowSecs() - 60, end = nowSecs()
        var f = await field { _ = try await c.sendPeerMessage(from: "", to: "bob", payload: "hi") }
        XCTAssertEqual(f, "from")
        f = await field { _ = try await c.sendPeerMessage(from: "alice", to: String(repeating: "b", count: 65), payload: "hi") }
        XCTAssertEqual(f, "to")
        f = await field { _ = try await c.sendPeerMessage(from: "alice", to: "bob", payload: "") }
        XCTAssertEqual(f, "payload")
        f = await field { _ = try await c.sendPeerMessage(from: "alice", to: "bob", payload: String(repeating: "x", count: 32 * 1024 + 1)) }
        XCTAssertEqual(f, "payload")
        f = await field { _ = try await c.sendChannelMessage(from: "alice", channel: "", payload: "hi") }
        XCTAssertEqual(f, "channel")
        f = await field { _ = try await c.countHistory(source: nil, destination: nil, startTimeSecs: start, endTimeSecs: end) }
        XCTAssertEqual(f, "source")
        f = await field { _ = try await c.countHistory(source: "alice", destination: nil, startTimeSecs: end, endTimeSecs: start) }
        XCTAssertEqual(f, "start_time")
        f = await field { _ = try c.historyPages(query: self.query("lobby", limit: 30)) }
        XCTAssertEqual(f, "limit")
        f = await field { _ = try c.historyV2Pages(query: HistoryV2Query(userId: "", channelType: .user, channel: "bob")) }
        XCTAssertEqual(f, "user_id")
        f = await field { _ = try c.historyV2Pages(query: HistoryV2Query(userId: "alice", channelType: .message, channel: "lobby", messageCount: 0)) }
        XCTAssertEqual(f, "message_count")
        f = await field { _ = try c.historyV2Pages(query: HistoryV2Query(userId: "alice", channelType: .message, channel: "lobby", startMs: 1000, endMs: 2000)) }
        XCTAssertEqual(f, "end")

        // with token auth the acting user must be the token's user
        let tokenApp = "970ca35de60c44645bbae8a215061b33"
        let tc = try client(emu, tokenApp, credentials: try Credentials.minted(
            appId: tokenApp, appCertificate: "5CFd2fd1755d40ecb72977518be15d3b", userId: "alice", lifetimeSecs: 3600, legacy: false))
        f = await field { _ = try await tc.sendPeerMessage(from: "mallory", to: "bob", payload: "hi") }
        XCTAssertEqual(f, "from")

        let seen = try await requests(emu, app)
        XCTAssertEqual(seen, 0)
        let seenToken = try await requests(emu, tokenApp)
        XCTAssertEqual(seenToken, 0)
    }
}
