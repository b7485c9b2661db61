// Hand-written idiom layer over the generated bindings: a watcher as an
// AsyncSequence. No protocol logic here: items come from the Rust watcher as they are.
import Foundation

/// The items of a ``Watcher`` as an `AsyncSequence`. When the consuming task is
/// cancelled or the iterator is released, the watcher is stopped (uniffi cannot
/// cancel a Rust future, so this is explicit); a fatal failure is thrown as an
/// ``AgoraRtmError`` after the items before it.
public struct WatchItems: AsyncSequence {
    public typealias Element = WatchItem

    let watcher: Watcher

    public init(_ watcher: Watcher) {
        self.watcher = watcher
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let watcher: Watcher

        public mutating func next() async throws -> WatchItem? {
            let watcher = self.watcher
            return try await withTaskCancellationHandler {
                try await watcher.next()
            } onCancel: {
                watcher.stop()
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(watcher: watcher)
    }
}

extension Watcher {
    /// This watcher's items as an `AsyncSequence`.
    public var items: WatchItems { WatchItems(self) }
}

extension Client {
    /// Starts a watcher and returns it with its items as an `AsyncSequence`.
    public func watchItems(options: WatchOptions = WatchOptions()) throws -> (Watcher, WatchItems) {
        let watcher = try watch(options: options)
        return (watcher, WatchItems(watcher))
    }
}
