package io.agora.rtm.rest

import com.google.gson.JsonParser
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import java.util.concurrent.atomic.AtomicInteger
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows

/** Messages and both history APIs against the emulator binary (`AGORA_RTM_BIN`). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MessagesTest {
    private lateinit var emu: Emulator
    private val appCounter = AtomicInteger()

    @BeforeAll
    fun start() {
        emu = Emulator()
    }

    @AfterAll
    fun stop() {
        emu.close()
    }

    private fun appId() = "kotlin-msg-${appCounter.incrementAndGet()}"

    /** A client with a short legacy-history poll interval (the emulator answers `in progress` once per query). */
    private fun client(appId: String, credentials: Credentials = Credentials.basic("customer", "s3cr3t-value")) = Client(
        ClientOptions(
            appId = appId,
            credentials = credentials,
            baseUrls = listOf(emu.baseUrl),
            historyPollIntervalMs = 50uL,
            historyPollTimeoutMs = 20_000uL,
        ),
    )

    private fun nowSecs() = System.currentTimeMillis() / 1000

    /** A range around now, in Unix seconds (the emulator stamps messages with its clock). */
    private fun query(destination: String, limit: UInt? = null) =
        HistoryQuery(destination = destination, startTimeSecs = (nowSecs() - 3600).toULong(), endTimeSecs = (nowSecs() + 3600).toULong(), limit = limit)

    /** Requests the emulator received for `app` (0 when it never heard of the app). */
    private fun requests(app: String): Int =
        JsonParser.parseString(emu.get("/_emulator/stats")).asJsonObject["apps"].asJsonObject[app]
            ?.asJsonObject?.get("requests")?.asInt ?: 0

    @Test
    fun `peer message outcomes - delivered when online, offline otherwise, sent without ack`(): Unit = runBlocking {
        val app = appId()
        val c = client(app)
        assertEquals(200, emu.put("/_emulator/apps/$app/online/alice", """{"online": true}"""))
        val delivered = c.sendPeerMessage("server", "alice", "hello", waitForAck = true)
        assertEquals(MessageOutcome.DELIVERED, delivered.outcome)
        assertEquals("message_delivered", delivered.code)
        assertTrue(delivered.requestId.isNotEmpty())

        val offline = c.sendPeerMessage("server", "bob", "hello", waitForAck = true)
        assertEquals(MessageOutcome.OFFLINE, offline.outcome)
        assertEquals("message_offline", offline.code)

        // a Login user event also makes a user online
        assertEquals(200, emu.post("/_emulator/apps/$app/user_events", """[{"user_id":"bob","type":"Login","ms":${System.currentTimeMillis()}}]"""))
        assertEquals(MessageOutcome.DELIVERED, c.sendPeerMessage("server", "bob", "again", waitForAck = true).outcome)

        val sent = c.sendPeerMessage("server", "carol", "no ack")
        assertEquals(MessageOutcome.SENT, sent.outcome)
        assertEquals("message_sent", sent.code)
    }

    @Test
    fun `a stored channel message is found by both history APIs`(): Unit = runBlocking {
        val app = appId()
        val c = client(app)
        val r = c.sendChannelMessage("alice", "lobby", "hi all", storeInHistory = true)
        assertEquals(MessageOutcome.SENT, r.outcome)
        c.sendChannelMessage("alice", "lobby", "not stored")

        val legacy = c.historyPages(query("lobby"))
        val page = legacy.nextPage()!!
        assertEquals(1, page.size)
        val m = page.single()
        assertEquals("alice", m.src)
        assertEquals("lobby", m.dst)
        assertEquals("channel_message", m.messageType)
        assertEquals("hi all", m.payload)
        assertTrue(m.ms > 0uL)
        assertNull(legacy.nextPage())
        assertTrue(legacy.isDone())

        val v2 = c.historyV2Pages(HistoryV2Query(userId = "alice", channelType = ChannelType.MESSAGE, channel = "lobby"))
        val v2Messages = v2.asFlow().toList()
        assertEquals(1, v2Messages.size)
        assertEquals("alice", v2Messages[0].publisher)
        assertEquals(HistoryV2Payload.Text("hi all"), v2Messages[0].payload)
        assertEquals(m.ms, v2Messages[0].timestamp)

        assertEquals(1uL, c.countHistory(null, "lobby", (nowSecs() - 3600).toULong(), (nowSecs() + 3600).toULong()))
    }

    @Test
    fun `250 stored messages page correctly with both APIs`(): Unit = runBlocking {
        val app = appId()
        val c = client(app)
        val sent = (0 until 250).map { "m$it" }
        for (p in sent) c.sendChannelMessage("alice", "big", p, storeInHistory = true)

        withTimeout(60_000) {
            // legacy: limit 100 -> 100, 100, 50, then done
            val pager = c.historyPages(query("big", limit = 100u))
            val sizes = mutableListOf<Int>()
            val legacy = mutableListOf<HistoryMessage>()
            while (true) {
                val page = pager.nextPage() ?: break
                sizes += page.size
                legacy += page
            }
            assertEquals(listOf(100, 100, 50), sizes)
            assertEquals(sent, legacy.map { it.payload }, "oldest first, none missing, no repeats")
            assertTrue(pager.isDone())

            // v2: page size 100, newStart paging to 0: every message once, newest first
            val v2Pager = c.historyV2Pages(HistoryV2Query(userId = "alice", channelType = ChannelType.MESSAGE, channel = "big", messageCount = 100u))
            val v2 = mutableListOf<HistoryV2Message>()
            var pages = 0
            while (true) {
                val page = v2Pager.nextPage() ?: break
                assertTrue(page.size <= 100, "page of ${page.size}")
                pages++
                v2 += page
            }
            assertTrue(pages >= 3, "$pages pages")
            val texts = v2.map { (it.payload as HistoryV2Payload.Text).text }
            assertEquals(250, texts.toSet().size, "no repeats")
            assertEquals(sent.reversed(), texts, "newest first, none missing")
            assertEquals(v2.map { it.timestamp }.sortedDescending(), v2.map { it.timestamp })

            // the Flow wrappers give the same messages
            assertEquals(legacy, c.historyFlow(query("big", limit = 100u)).toList())
            assertEquals(v2, c.historyV2Flow(HistoryV2Query(userId = "alice", channelType = ChannelType.MESSAGE, channel = "big")).toList())
            assertEquals(250uL, c.countHistory(null, "big", (nowSecs() - 3600).toULong(), (nowSecs() + 3600).toULong()))
        }
    }

    @Test
    fun `invalid input is refused before any request, with the field named`(): Unit = runBlocking {
        val app = appId()
        val c = client(app)
        val start = (nowSecs() - 60).toULong()
        val end = nowSecs().toULong()
        fun field(block: suspend () -> Unit): String =
            assertThrows<AgoraRtmException.InvalidInput> { runBlocking { block() } }.field

        assertEquals("from", field { c.sendPeerMessage("", "bob", "hi") })
        assertEquals("from", field { c.sendPeerMessage(" alice", "bob", "hi") })
        assertEquals("to", field { c.sendPeerMessage("alice", "b".repeat(65), "hi") })
        assertEquals("payload", field { c.sendPeerMessage("alice", "bob", "") })
        assertEquals("payload", field { c.sendPeerMessage("alice", "bob", "x".repeat(32 * 1024 + 1)) })
        assertEquals("from", field { c.sendChannelMessage("", "lobby", "hi") })
        assertEquals("channel", field { c.sendChannelMessage("alice", "", "hi") })
        assertEquals("payload", field { c.sendChannelMessage("alice", "lobby", "") })
        assertEquals("source", field { c.countHistory(null, null, start, end) })
        assertEquals("start_time", field { c.countHistory("alice", null, end, start) })
        assertEquals("source", field { c.historyPages(HistoryQuery(startTimeSecs = start, endTimeSecs = end)) })
        assertEquals("destination", field { c.historyPages(HistoryQuery(destination = "", startTimeSecs = start, endTimeSecs = end)) })
        assertEquals("limit", field { c.historyPages(query("lobby", limit = 30u)) })
        assertEquals("end_time", field { c.historyPages(HistoryQuery(source = "alice", startTimeSecs = 0uL, endTimeSecs = 1_700_000_000_000uL)) })
        assertEquals("user_id", field { c.historyV2Pages(HistoryV2Query(userId = "", channelType = ChannelType.USER, channel = "bob")) })
        assertEquals("channel", field { c.historyV2Pages(HistoryV2Query(userId = "alice", channelType = ChannelType.MESSAGE, channel = " lobby")) })
        assertEquals("message_count", field { c.historyV2Pages(HistoryV2Query(userId = "alice", channelType = ChannelType.MESSAGE, channel = "lobby", messageCount = 0u)) })
        assertEquals("message_count", field { c.historyV2Pages(HistoryV2Query(userId = "alice", channelType = ChannelType.MESSAGE, channel = "lobby", messageCount = 101u)) })
        assertEquals("end", field { c.historyV2Pages(HistoryV2Query(userId = "alice", channelType = ChannelType.MESSAGE, channel = "lobby", startMs = 1000uL, endMs = 2000uL)) })

        // with token auth the acting user must be the token's user
        val tokenApp = "970ca35de60c44645bbae8a215061b33"
        val tokenClient = client(tokenApp, Credentials.minted(tokenApp, "5CFd2fd1755d40ecb72977518be15d3b", "alice", 3600uL, false))
        assertEquals("from", field { tokenClient.sendPeerMessage("mallory", "bob", "hi") })
        assertEquals("from", field { tokenClient.sendChannelMessage("mallory", "lobby", "hi") })
        val v2 = tokenClient.historyV2Pages(HistoryV2Query(userId = "mallory", channelType = ChannelType.MESSAGE, channel = "lobby"))
        assertEquals("user_id", field { v2.nextPage() })
        assertTrue(v2.isDone(), "a pager ends after its error")
        assertNull(v2.nextPage())

        assertEquals(0, requests(app), "nothing may reach the service")
        assertEquals(0, requests(tokenApp), "nothing may reach the service (token client)")
        assertFalse(c.toString().contains("s3cr3t-value"))
    }
}
