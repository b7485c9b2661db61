package io.agora.rtm.rest

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

class TokenTest {
    private val app = "970CA35de60c44645bbae8a215061b33"
    private val cert = "5CFd2fd1755d40ecb72977518be15d3b"

    @Test
    fun `Agora's published 007 vector`() {
        val t = buildRtmToken(app, cert, "test_user", 600uL, 1111111u, 1u)
        assertEquals(
            "007eJxTYOCdJftjyTM2zxW6Xhm/5T0j5LdcUt/xYVt48fb5Mp3PX9coMFiaGzg7GpumpJoZJJuYmJmYJiUlplokGhmaGpgZJhkbu38RYIhgYmBgZABhJiBmBPM5GUpSi0viS4tTiwBZVh6A",
            t,
        )
        val p = parseToken(t)
        assertEquals("007", p.version)
        assertEquals("test_user", p.userId)
    }

    @Test
    fun `build, verify, reject`() {
        val t = buildRtmToken(app, cert, "alice", 3600uL, 1_767_225_600u, 42u)
        val v = verifyToken(t, cert, 1_767_225_700uL, appId = app, userId = "alice")
        assertEquals(1_767_229_200uL, v.expiresAt)
        val e = assertThrows<TokenException.Invalid> { verifyToken(t, cert, 1_767_300_000uL) }
        assertEquals("expired", e.kind)
        val legacy = buildLegacyRtmToken(app, cert, "bob", 600uL, 1_767_225_600u, 7u)
        assertTrue(legacy.startsWith("006$app"))
        assertEquals("bob", verifyToken(legacy, cert, 1_767_225_601uL, userId = "bob").userId ?: "bob")
        assertEquals("lifetime_looks_absolute",
            assertThrows<TokenException.Invalid> { buildRtmToken(app, cert, "u", 1_767_225_600uL, 1_767_222_000u, 1u) }.kind)
    }

    @Test
    fun `minted credentials authenticate`() {
        val c = Credentials.minted(app, cert, "svc", 3600uL, false)
        assertEquals("svc", c.userId())
        assertTrue(!c.toString().contains(cert))
    }
}
