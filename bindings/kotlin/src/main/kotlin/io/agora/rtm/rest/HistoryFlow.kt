// Hand-written idiom layer over the generated bindings: history pagers as Flows.
// No protocol logic here: pages come from the Rust pagers as they are (polling,
// re-creation after 410, newStart paging and validation are all Rust's).
package io.agora.rtm.rest

import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.flow

/**
 * The pager's messages, page after page, as a cold [Flow] (collect it once: the
 * pager is a cursor). A page is only requested when the collector has consumed the
 * previous one; an error is thrown as an [AgoraRtmException] after the messages
 * before it.
 */
fun HistoryPager.asFlow(): Flow<HistoryMessage> = flow {
    while (true) {
        val page = nextPage() ?: break
        page.forEach { emit(it) }
    }
}

/** The pager's messages (newest first), page after page, as a cold [Flow]; see [HistoryPager.asFlow]. */
fun HistoryV2Pager.asFlow(): Flow<HistoryV2Message> = flow {
    while (true) {
        val page = nextPage() ?: break
        page.forEach { emit(it) }
    }
}

/** Legacy history as a [Flow] of messages; invalid queries throw [AgoraRtmException.InvalidInput] now. */
fun Client.historyFlow(query: HistoryQuery): Flow<HistoryMessage> = historyPages(query).asFlow()

/** Signaling 2.x history as a [Flow] of messages; invalid queries throw [AgoraRtmException.InvalidInput] now. */
fun Client.historyV2Flow(query: HistoryV2Query): Flow<HistoryV2Message> = historyV2Pages(query).asFlow()
