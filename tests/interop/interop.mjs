// Interop between agora-rtm's tokens and npm agora-token (Agora's JavaScript builders).
//
// agora-token exposes AccessToken2 (007) with from_string + verifySignature and
// RTM2 permissions, and the legacy AccessToken (006) with fromString (no
// verification). Issue time is a constructor argument and the salt an
// attribute, so their builder can reproduce our strings exactly.
//
// Run through run.sh (env: AGORA_RTM_BIN, INTEROP_SEED, INTEROP_N, INTEROP_NPM_DIR).

import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import path from 'node:path'
import zlib from 'node:zlib'

const NAME = 'node'
const require = createRequire(path.join(process.env.INTEROP_NPM_DIR, 'package.json'))
const { version } = require('agora-token/package.json')
const { RtmTokenBuilder } = require('agora-token')
const { AccessToken2, ServiceRtm, ServiceRtm2, Rtm2Permissions, kRtmServiceType } = require('agora-token/src/AccessToken2')
const { AccessToken: LegacyAccessToken, priviledges: legacyPrivileges } = require('agora-token/src/AccessToken')
const { RtmTokenBuilder: LegacyRtmTokenBuilder, Role: LegacyRole } = require('agora-token/src/RtmTokenBuilder')

const BIN = process.env.AGORA_RTM_BIN
const SEED = Number(process.env.INTEROP_SEED || Math.floor(Math.random() * 2 ** 32)) >>> 0
const N = Number(process.env.INTEROP_N || '50')
const HEX = '0123456789abcdefABCDEF'
const USER_CHARS = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.@:=é中']

// mulberry32: a small seeded generator so a failing run can be replayed
function rngFrom(seed) {
    let a = seed >>> 0
    const next = () => {
        a = (a + 0x6d2b79f5) >>> 0
        let t = a
        t = Math.imul(t ^ (t >>> 15), t | 1)
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296
    }
    return {
        int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
        pick: arr => arr[Math.floor(next() * arr.length)]
    }
}

let identicalStrings = 0

class Failure extends Error {}
const expect = (cond, what) => {
    if (!cond) throw new Failure(typeof what === 'string' ? what : JSON.stringify(what))
}

function randomCase(rng) {
    let user
    do {
        user = Array.from({ length: rng.int(1, 40) }, () => rng.pick(USER_CHARS)).join('')
    } while (Buffer.byteLength(user) > 64)
    return {
        app_id: Array.from({ length: 32 }, () => rng.pick([...HEX])).join(''),
        cert: Array.from({ length: 32 }, () => rng.pick([...HEX])).join(''),
        user,
        issue_ts: rng.int(1_500_000_000, 2_100_000_000),
        lifetime: rng.int(1, 86400),
        salt: rng.int(1, 99_999_999)
    }
}

function expireFlag(rng, secs) {
    const forms = [String(secs), `${secs}s`]
    if (secs % 60 === 0) forms.push(`${secs / 60}m`)
    if (secs % 3600 === 0) forms.push(`${secs / 3600}h`)
    return rng.pick(forms)
}

function cli(args, extraEnv = {}) {
    const env = { ...process.env, ...extraEnv }
    if (!('AGORA_APP_ID' in extraEnv)) delete env.AGORA_APP_ID
    if (!('AGORA_APP_CERTIFICATE' in extraEnv)) delete env.AGORA_APP_CERTIFICATE
    try {
        const stdout = execFileSync(BIN, args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60000 })
        return { code: 0, stdout, stderr: '' }
    } catch (e) {
        if (typeof e.status !== 'number') throw e
        return { code: e.status, stdout: e.stdout || '', stderr: e.stderr || '' }
    }
}

function inspect(token, cert, now, { user, appId } = {}) {
    const args = ['token', 'inspect', token, '--app-certificate', cert, '--now', String(now)]
    if (user !== undefined) args.push(`--user=${user}`)
    if (appId !== undefined) args.push('--app-id', appId)
    const r = cli(args)
    expect(r.code === 0, `inspect exit ${r.code}: ${r.stdout}${r.stderr}`)
    const j = JSON.parse(r.stdout)
    expect(j.verified === true, `not verified: ${r.stdout}`)
    return j
}

function ours(c, legacy, rng) {
    const args = ['token', 'rtm', `--user=${c.user}`, '--expire', expireFlag(rng, c.lifetime),
        '--issued-at', String(c.issue_ts), '--salt', String(c.salt)]
    if (legacy) args.push('--legacy')
    const r = cli(args, { AGORA_APP_ID: c.app_id, AGORA_APP_CERTIFICATE: c.cert })
    expect(r.code === 0, `token rtm exit ${r.code}: ${r.stderr}`)
    expect(!(r.stdout + r.stderr).includes(c.cert), 'the certificate was printed')
    return r.stdout.trim()
}

function theirs007(c) {
    const t = new AccessToken2(c.app_id, c.cert, c.issue_ts, c.lifetime)
    t.salt = c.salt // inject the salt (their constructor draws a random one)
    const s = new ServiceRtm(c.user)
    s.add_privilege(ServiceRtm.kPrivilegeLogin, c.lifetime)
    t.add_service(s)
    return t.build()
}

function theirs006(c) {
    const t = new LegacyAccessToken(c.app_id, c.cert, c.user, '')
    t.salt = c.salt
    t.ts = c.issue_ts + 86400 // their default: now + 24 h
    t.addPriviledge(legacyPrivileges.kRtmLogin, c.issue_ts + c.lifetime)
    return t.build()
}

function check007TheirsToOurs(c, rng) {
    const token = theirs007(c)
    const j = inspect(token, c.cert, c.issue_ts + rng.int(0, c.lifetime - 1), { appId: c.app_id })
    expect(j.version === '007', j)
    expect(j.app_id === c.app_id && j.issue_ts === c.issue_ts && j.expire === c.lifetime && j.salt === c.salt, j)
    expect(j.services.length === 1, j)
    const s = j.services[0]
    expect(s.type === 2 && s.user_id === c.user, s)
    expect(s.privileges.length === 1 && s.privileges[0].privilege === 1 && s.privileges[0].expire === c.lifetime, s)
    // their public builder (issue time = now, random salt)
    const now = Math.floor(Date.now() / 1000)
    const token2 = RtmTokenBuilder.buildToken(c.app_id, c.cert, c.user, c.lifetime)
    const j2 = inspect(token2, c.cert, now, { user: c.user })
    expect(j2.expire === c.lifetime && Math.abs(j2.issue_ts - now) <= 5, j2)
}

function check007OursToTheirs(c, rng) {
    const token = ours(c, false, rng)
    const p = new AccessToken2('', '', 0, 0)
    expect(p.from_string(token) === true, 'from_string failed')
    expect(p.verifySignature(c.cert) === true, 'verifySignature failed')
    expect(p.appId.toString() === c.app_id, 'app_id')
    expect(p.issueTs === c.issue_ts && p.expire === c.lifetime && p.salt === c.salt, 'issue_ts/expire/salt')
    const services = p.getServices(kRtmServiceType)
    expect(p.services.length === 1 && services.length === 1, 'services')
    expect(services[0].__user_id.toString() === c.user, 'user_id')
    expect(JSON.stringify(services[0].__privileges) === JSON.stringify({ 1: c.lifetime }), 'privileges')
    const other = (c.cert[0] === '0' ? '1' : '0') + c.cert.slice(1)
    expect(p.verifySignature(other) === false, 'verifies with another certificate')
    // Node bundles its own zlib fork, whose deflate output can differ from C zlib's
    // (SPEC 2.1: only C zlib reproduces the strings): compare the decompressed content,
    // and count identical strings for information.
    const expected = theirs007(c)
    const content = s => zlib.inflateSync(Buffer.from(s.slice(3), 'base64'))
    expect(content(token).equals(content(expected)), `content differs from agora-token's: ${token} vs ${expected}`)
    if (token === expected) identicalStrings++
}

function check006TheirsToOurs(c) {
    const token = theirs006(c)
    const j = inspect(token, c.cert, c.issue_ts, { user: c.user, appId: c.app_id })
    expect(j.version === '006' && j.app_id === c.app_id && j.user_account === c.user, j)
    expect(j.salt === c.salt && j.ts === c.issue_ts + 86400 && j.expires_at === c.issue_ts + c.lifetime, j)
    // their public builder (random salt, ts = now + 24 h, absolute privilege expiry)
    const token2 = LegacyRtmTokenBuilder.buildToken(c.app_id, c.cert, c.user, LegacyRole.Rtm_User, c.issue_ts + c.lifetime)
    const j2 = inspect(token2, c.cert, c.issue_ts, { user: c.user })
    expect(j2.expires_at === c.issue_ts + c.lifetime, j2)
}

function check006OursToTheirs(c, rng) {
    const token = ours(c, true, rng)
    const p = new LegacyAccessToken('', '', 0, 0)
    expect(p.fromString(token) === true, 'fromString failed')
    expect(p.appID === c.app_id && p.salt === c.salt && p.ts === c.issue_ts + 86400, 'app id/salt/ts')
    expect(JSON.stringify(p.messages) === JSON.stringify({ 1000: c.issue_ts + c.lifetime }), `messages ${JSON.stringify(p.messages)}`)
    const expected = theirs006(c)
    expect(token === expected, `string differs from agora-token's: ${token} vs ${expected}`)
}

// RTM2 (type 8) with random resource permissions: their token inspects and verifies here.
function checkRtm2TheirsToOurs(c, rng) {
    const perms = new Rtm2Permissions()
    const expected = []
    for (let rt = 0; rt <= 4; rt++) {
        if (rng.int(0, 1) === 0) continue
        const entry = { resource_type: rt, permissions: [] }
        for (let perm = 0; perm <= 1; perm++) {
            if (rng.int(0, 1) === 0) continue
            const resources = Array.from({ length: rng.int(0, 3) }, (_, i) => `r${rt}${perm}-${i}-${rng.int(0, 999)}`)
            perms.add(rt, perm, resources)
            entry.permissions.push({ permission: perm, resources })
        }
        if (entry.permissions.length) expected.push(entry)
    }
    const t = new AccessToken2(c.app_id, c.cert, c.issue_ts, c.lifetime)
    t.salt = c.salt
    const s = new ServiceRtm2(c.user, perms)
    s.add_privilege(ServiceRtm2.kPrivilegeLogin, c.lifetime)
    t.add_service(s)
    const j = inspect(t.build(), c.cert, c.issue_ts, { user: c.user })
    const svc = j.services[0]
    expect(svc.type === 8 && svc.user_id === c.user, svc)
    const got = svc.permissions.map(e => ({
        resource_type: e.resource_type,
        permissions: e.permissions.map(p => ({ permission: p.permission, resources: p.resources }))
    }))
    expect(JSON.stringify(got) === JSON.stringify(expected), `permissions ${JSON.stringify(got)} vs ${JSON.stringify(expected)}`)
}

const CHECKS = [
    ['007 agora-token -> agora-rtm', check007TheirsToOurs],
    ['007 agora-rtm -> agora-token', check007OursToTheirs],
    ['006 agora-token -> agora-rtm', check006TheirsToOurs],
    ['006 agora-rtm -> agora-token', check006OursToTheirs],
    ['rtm2 agora-token -> agora-rtm', checkRtm2TheirsToOurs]
]

function main() {
    console.log(`${NAME}: agora-token ${version}, seed=${SEED}, n=${N}`)
    const rng = rngFrom(SEED)
    let passed = 0
    let failed = 0
    for (let i = 0; i < N; i++) {
        const c = randomCase(rng)
        for (const [label, check] of CHECKS) {
            try {
                check(c, rng)
                passed++
            } catch (e) {
                failed++
                console.log(`${NAME}: FAIL case ${i} [${label}] seed=${SEED} input=${JSON.stringify(c)}: ${e instanceof Failure ? e.message : e.stack}`)
            }
        }
    }
    console.log(`${NAME}: ${identicalStrings} of ${N} 007 strings byte-identical to agora-token's (zlib ${process.versions.zlib}); the rest differ only in deflate encoding`)
    console.log(`${NAME}: ${passed} passed, ${failed} failed`)
    process.exitCode = failed ? 1 : 0
}

main()
