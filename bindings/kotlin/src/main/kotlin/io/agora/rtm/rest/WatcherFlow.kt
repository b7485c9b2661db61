// Hand-written idiom layer over the generated bindings: a watcher as a Flow.
// No protocol logic here: items come from the Rust watcher as they are.
package io.agora.rtm.rest

import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.flow

/**
 * The watcher's items as a cold [Flow] (collect it once). When the collector
 * stops early or is cancelled, the watcher is stopped (uniffi cannot cancel a
 * Rust future, so this is explicit); a fatal failure is thrown as an
 * [AgoraRtmException] after the items before it.
 */
fun Watcher.asFlow(): Flow<WatchItem> = flow {
    try {
        while (true) {
            val item = next() ?: break
            emit(item)
        }
    } finally {
        stop()
    }
}

/** Starts a watcher and returns its items as a [Flow]; the watcher stops when collection ends. */
fun Client.watchFlow(options: WatchOptions = WatchOptions()): Flow<WatchItem> = watch(options).asFlow()
