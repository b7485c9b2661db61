package io.agora.rtm.rest

import java.io.BufferedReader
import java.io.InputStreamReader
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest as JHttpRequest
import java.net.http.HttpResponse as JHttpResponse
import java.util.concurrent.TimeUnit

/** The `agora-rtm emulator` binary on port 0 (path from `AGORA_RTM_BIN`). */
class Emulator(vararg extraArgs: String) : AutoCloseable {
    private val process: Process
    val baseUrl: String
    private val http = HttpClient.newHttpClient()

    init {
        val bin = System.getenv("AGORA_RTM_BIN")
            ?: error("AGORA_RTM_BIN is not set (make kotlin-test sets it)")
        process = ProcessBuilder(listOf(bin, "emulator", "--port", "0") + extraArgs)
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start()
        val reader = BufferedReader(InputStreamReader(process.inputStream))
        val first = reader.readLine() ?: error("the emulator printed nothing")
        baseUrl = Regex("https?://\\S+").find(first)?.value?.trimEnd('/')
            ?: error("no URL in the emulator's first line: $first")
        // keep draining stdout so the emulator never blocks on a full pipe
        Thread { reader.lineSequence().forEach { } }.apply { isDaemon = true }.start()
    }

    fun post(path: String, json: String): Int {
        val req = JHttpRequest.newBuilder(URI.create(baseUrl + path))
            .header("content-type", "application/json")
            .POST(JHttpRequest.BodyPublishers.ofString(json)).build()
        return http.send(req, JHttpResponse.BodyHandlers.ofString()).statusCode()
    }

    fun put(path: String, json: String): Int {
        val req = JHttpRequest.newBuilder(URI.create(baseUrl + path))
            .header("content-type", "application/json")
            .PUT(JHttpRequest.BodyPublishers.ofString(json)).build()
        return http.send(req, JHttpResponse.BodyHandlers.ofString()).statusCode()
    }

    fun get(path: String): String {
        val req = JHttpRequest.newBuilder(URI.create(baseUrl + path)).GET().build()
        return http.send(req, JHttpResponse.BodyHandlers.ofString()).body()
    }

    override fun close() {
        process.destroy()
        if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly()
    }
}
