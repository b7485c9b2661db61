// Hand-written idiom layer over the generated bindings: history pagers as
// AsyncSequences. No protocol logic here: pages come from the Rust pagers as they
// are (polling, re-creation after 410, newStart paging and validation are Rust's).
import Foundation

/// The messages of a ``HistoryPager``, page after page, as an `AsyncSequence`
/// (iterate it once: the pager is a cursor). A page is only requested when the
/// previous one has been consumed; an error is thrown as an ``AgoraRtmError``
/// after the messages before it.
public struct HistoryMessages: AsyncSequence {
    public typealias Element = HistoryMessage

    let pager: HistoryPager

    public init(_ pager: HistoryPager) {
        self.pager = pager
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let pager: HistoryPager
        var buffer: [HistoryMessage] = []
        var index = 0

        public mutating func next() async throws -> HistoryMessage? {
            while index >= buffer.count {
                guard let page = try await pager.nextPage() else { return nil }
                buffer = page
                index = 0
            }
            defer { index += 1 }
            return buffer[index]
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(pager: pager)
    }
}

/// The messages (newest first) of a ``HistoryV2Pager``, page after page, as an
/// `AsyncSequence`; see ``HistoryMessages``.
public struct HistoryV2Messages: AsyncSequence {
    public typealias Element = HistoryV2Message

    let pager: HistoryV2Pager

    public init(_ pager: HistoryV2Pager) {
        self.pager = pager
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let pager: HistoryV2Pager
        var buffer: [HistoryV2Message] = []
        var index = 0

        public mutating func next() async throws -> HistoryV2Message? {
            while index >= buffer.count {
                guard let page = try await pager.nextPage() else { return nil }
                buffer = page
                index = 0
            }
            defer { index += 1 }
            return buffer[index]
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(pager: pager)
    }
}

extension HistoryPager {
    /// This pager's messages as an `AsyncSequence`.
    public var messages: HistoryMessages { HistoryMessages(self) }
}

extension HistoryV2Pager {
    /// This pager's messages as an `AsyncSequence`.
    public var messages: HistoryV2Messages { HistoryV2Messages(self) }
}

extension Client {
    /// Legacy history as an `AsyncSequence` of messages; an invalid query throws
    /// ``AgoraRtmError/InvalidInput(field:rule:)`` now, before any request.
    public func historyMessages(query: HistoryQuery) throws -> HistoryMessages {
        HistoryMessages(try historyPages(query: query))
    }

    /// Signaling 2.x history (newest first) as an `AsyncSequence` of messages; an
    /// invalid query throws ``AgoraRtmError/InvalidInput(field:rule:)`` now.
    public func historyV2Messages(query: HistoryV2Query) throws -> HistoryV2Messages {
        HistoryV2Messages(try historyV2Pages(query: query))
    }
}
