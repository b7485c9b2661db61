package io.agora.rtm.rest

import com.google.gson.JsonParser
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.flow.takeWhile
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest as JHttpRequest
import java.net.http.HttpResponse as JHttpResponse
import java.util.concurrent.atomic.AtomicInteger
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assertions.fail
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows

/** Integration tests against the emulator binary (`AGORA_RTM_BIN`). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EmulatorTest {
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

    /** A fresh app id per test, so feeds and limiters do not interfere. */
    private fun appId() = "kotlin-app-${appCounter.incrementAndGet()}"

    private fun client(appId: String, transport: HttpTransport? = null, credentials: Credentials? = null) = Client(
        ClientOptions(
            appId = appId,
            credentials = credentials ?: Credentials.basic("customer", "s3cr3t-value"),
            baseUrls = listOf(emu.baseUrl),
            transport = transport,
        ),
    )

    private fun injectUsers(appId: String, n: Int, startMs: Long = 1000) {
        val events = (0 until n).joinToString(",", "[", "]") { i ->
            """{"user_id":"u$i","type":"${if (i % 2 == 0) "Login" else "Logout"}","ms":${startMs + i}}"""
        }
        assertEquals(200, emu.post("/_emulator/apps/$appId/user_events", events))
    }

    private fun feedStats(appId: String, feed: String) = JsonParser.parseString(emu.get("/_emulator/stats"))
        .asJsonObject["apps"].asJsonObject[appId].asJsonObject["regions"].asJsonObject
        .entrySet().first().value.asJsonObject[feed].asJsonObject

    @Test
    fun `reads user and channel events, typed, oldest first`(): Unit = runBlocking {
        val app = appId()
        injectUsers(app, 3)
        emu.post(
            "/_emulator/apps/$app/channel_events",
            """[{"group_id":"room","user_id":"u0","type":"Join","ms":5},{"channel_id":"room","user_id":"u0","type":"Shout","ts":6}]""",
        )
        val c = client(app)
        val page = c.userEvents()
        assertEquals(listOf("u0", "u1", "u2"), page.events.map { it.userId })
        assertEquals(UserEventKind.Login, page.events[0].kind)
        assertEquals(UserEventKind.Logout, page.events[1].kind)
        assertEquals(1000uL, page.events[0].ms)
        assertFalse(page.isFull)
        assertTrue(page.requestId.isNotEmpty())
        val ch = c.channelEvents()
        assertEquals(2, ch.events.size)
        assertEquals("room", ch.events[0].channelId)
        assertEquals(ChannelEventKind.Join, ch.events[0].kind)
        assertEquals(ChannelEventKind.Other("Shout"), ch.events[1].kind)
        assertEquals(6uL, ch.events[1].ms)
    }

    @Test
    fun `reads drain the feed, full pages signal more`(): Unit = runBlocking {
        val app = appId()
        injectUsers(app, 1500)
        val c = client(app)
        val first = c.userEvents()
        assertEquals(1000, first.events.size)
        assertTrue(first.isFull)
        val second = c.userEvents()
        assertEquals(500, second.events.size)
        assertFalse(second.isFull)
        assertEquals(0, c.userEvents().events.size)
        val stats = feedStats(app, "user_events")
        assertEquals(1500, stats["delivered"].asInt)
        assertEquals(0, stats["pending"].asInt)
    }

    @Test
    fun `bad credentials map to AgoraRtmException Auth`(): Unit = runBlocking {
        Emulator("--customer-id", "cid", "--customer-secret", "right").use { strict ->
            val c = Client(
                ClientOptions(
                    appId = appId(),
                    credentials = Credentials.basic("cid", "wrong"),
                    baseUrls = listOf(strict.baseUrl),
                ),
            )
            val e = assertThrows<AgoraRtmException.Auth> { runBlocking { c.userEvents() } }
            assertEquals(401.toUShort(), e.status)
            assertTrue(e.reason.isNotEmpty())
            // and the right secret works
            val ok = Client(
                ClientOptions(
                    appId = appId(),
                    credentials = Credentials.basic("cid", "right"),
                    baseUrls = listOf(strict.baseUrl),
                ),
            )
            assertEquals(0, ok.userEvents().events.size)
        }
    }

    @Test
    fun `invalid input is thrown before any request`() {
        assertThrows<AgoraRtmException.InvalidInput> {
            Client(ClientOptions(appId = "", credentials = Credentials.basic("a", "b"), baseUrls = listOf(emu.baseUrl)))
        }
        assertThrows<AgoraRtmException.InvalidInput> { Credentials.basic("", "b") }
        assertThrows<AgoraRtmException.InvalidInput> {
            Client(ClientOptions(appId = "x", credentials = Credentials.basic("a", "b"), baseUrls = listOf("ftp://nope")))
        }
    }

    @Test
    fun `connection refused maps to Transport`(): Unit = runBlocking {
        val c = Client(
            ClientOptions(
                appId = appId(),
                credentials = Credentials.basic("a", "b"),
                baseUrls = listOf("http://127.0.0.1:9"),
                maxAttempts = 1u,
            ),
        )
        val e = assertThrows<AgoraRtmException.Transport> { runBlocking { c.userEvents() } }
        assertEquals(TransportErrorKind.CONNECT, e.kind)
    }

    @Test
    fun `client-side rate limit waits instead of drawing 429s`(): Unit = runBlocking {
        val app = appId()
        val c = Client(
            ClientOptions(
                appId = app,
                credentials = Credentials.basic("a", "b"),
                baseUrls = listOf(emu.baseUrl),
                rateLimit = RateLimit(limit = 4u, windowMs = 1000uL),
                shareRateLimitInProcess = false,
            ),
        )
        val t0 = System.nanoTime()
        repeat(6) { c.userEvents() }
        val ms = (System.nanoTime() - t0) / 1_000_000
        // 4 per second, spread evenly: the 6th read starts >= 5 * 250 ms after the first
        assertTrue(ms >= 1100, "6 reads at 4/s took only $ms ms")
        val app0 = JsonParser.parseString(emu.get("/_emulator/stats")).asJsonObject["apps"].asJsonObject[app].asJsonObject
        assertEquals(0, app0["rate_limited"].asInt)
        assertEquals(6, app0["requests"].asInt)
    }

    @Test
    fun `secrets never appear in toString`() {
        val creds = Credentials.basic("customer", "s3cr3t-value")
        assertFalse(creds.toString().contains("s3cr3t-value"), creds.toString())
        val tok = Credentials.token("007secret-token-text")
        assertFalse(tok.toString().contains("secret-token-text"), tok.toString())
        val c = client(appId(), credentials = creds)
        assertFalse(c.toString().contains("s3cr3t-value"), c.toString())
        val options = ClientOptions(appId = "x", credentials = creds)
        assertFalse(options.toString().contains("s3cr3t-value"), options.toString())
    }

    /** An HTTP stack in Kotlin (java.net.http), plugged in through `HttpTransport`. */
    class JdkTransport : HttpTransport {
        val calls = AtomicInteger()
        private val http = HttpClient.newHttpClient()

        override suspend fun send(request: HttpRequest): HttpResponse {
            calls.incrementAndGet()
            assertFalse(request.toString().contains("s3cr3t-value"), request.toString())
            val b = JHttpRequest.newBuilder(URI.create(request.url()))
            for (h in request.headers()) {
                if (h.name.lowercase() !in setOf("host", "content-length", "connection")) b.header(h.name, h.value)
            }
            val body = request.body()
            b.method(request.method(), if (body == null) JHttpRequest.BodyPublishers.noBody() else JHttpRequest.BodyPublishers.ofByteArray(body))
            val resp = try {
                http.send(b.build(), JHttpResponse.BodyHandlers.ofByteArray())
            } catch (e: java.net.ConnectException) {
                throw HttpTransportException.Failed(TransportErrorKind.CONNECT, e.toString())
            }
            val headers = resp.headers().map().flatMap { (k, vs) -> vs.map { HttpHeader(k, it) } }
            return HttpResponse(resp.statusCode().toUShort(), headers, resp.body())
        }
    }

    @Test
    fun `a transport written in Kotlin carries the requests`(): Unit = runBlocking {
        val app = appId()
        injectUsers(app, 5)
        val t = JdkTransport()
        val c = client(app, transport = t)
        assertEquals(5, c.userEvents().events.size)
        assertEquals(1, t.calls.get())
    }

    @Test
    fun `a Kotlin transport's failures keep their kind`(): Unit = runBlocking {
        val failing = object : HttpTransport {
            override suspend fun send(request: HttpRequest): HttpResponse =
                throw HttpTransportException.Failed(TransportErrorKind.DNS, "no such host")
        }
        val c = Client(
            ClientOptions(
                appId = appId(),
                credentials = Credentials.basic("a", "b"),
                baseUrls = listOf(emu.baseUrl),
                maxAttempts = 1u,
                transport = failing,
            ),
        )
        val e = assertThrows<AgoraRtmException.Transport> { runBlocking { c.userEvents() } }
        assertEquals(TransportErrorKind.DNS, e.kind)
    }

    @Test
    fun `watch delivers events and presence, stop ends it`(): Unit = runBlocking {
        val app = appId()
        emu.post("/_emulator/apps/$app/user_events", """[{"user_id":"alice","type":"Login","ms":10},{"user_id":"bob","type":"Login","ms":11}]""")
        emu.post("/_emulator/apps/$app/channel_events", """[{"group_id":"lobby","user_id":"alice","type":"Join","ms":12}]""")
        val w = client(app).watch(WatchOptions(presence = true, statsIntervalMs = 0uL))
        val seen = mutableListOf<WatchItem>()
        withTimeout(15_000) {
            while (seen.count { it is WatchItem.User || it is WatchItem.Channel } < 3) {
                seen += w.next() ?: break
            }
        }
        val p = w.presence() ?: fail("presence is enabled")
        assertEquals(listOf("alice", "bob"), p.online.map { it.userId })
        assertEquals("lobby", p.channels.single().channelId)
        assertEquals(listOf("alice"), p.channels.single().members.map { it.userId })
        w.stop()
        withTimeout(10_000) { while (w.next() != null) { } }
        assertNull(w.next())
    }

    @Test
    fun `watch as a Flow stops the watcher when collection ends`(): Unit = runBlocking {
        val app = appId()
        injectUsers(app, 4)
        val c = client(app)
        val w = c.watch(WatchOptions(feeds = listOf(Feed.USER_EVENTS), statsIntervalMs = 0uL))
        val firstUser = withTimeout(15_000) { w.asFlow().first { it is WatchItem.User } }
        assertEquals("u0", (firstUser as WatchItem.User).event.userId)
        // asFlow's finally stopped the watcher: the rest drains and ends
        withTimeout(10_000) { while (w.next() != null) { } }
    }

    @Test
    fun `cancelling a coroutine blocked in next does not hang`(): Unit = runBlocking {
        val w = client(appId()).watch(WatchOptions(statsIntervalMs = 0uL))
        val job = launch { w.asFlow().toList() }
        delay(300)
        withTimeout(10_000) {
            job.cancel()
            job.join()
        }
        assertTrue(job.isCancelled)
        // the watcher was stopped by the Flow's finally; next() ends promptly
        withTimeout(10_000) { while (w.next() != null) { } }
    }

    @Test
    fun `bad credentials end a watcher with Auth`(): Unit = runBlocking {
        Emulator("--customer-id", "cid", "--customer-secret", "right").use { strict ->
            val c = Client(
                ClientOptions(appId = appId(), credentials = Credentials.basic("cid", "wrong"), baseUrls = listOf(strict.baseUrl)),
            )
            assertThrows<AgoraRtmException.Auth> {
                runBlocking { withTimeout(15_000) { c.watchFlow(WatchOptions(statsIntervalMs = 0uL)).toList() } }
            }
        }
    }
}
