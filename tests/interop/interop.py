"""Interop between agora-rtm's tokens and PyPI agoraiotools (Agora's Python builders).

agoraiotools exposes builders for AccessToken2 (007) and the legacy AccessToken
(006) and parsers (`from_string` / `fromString`) but no signature verification,
so "ours -> theirs" checks the decoded fields and that their builder, given the
same issue time and salt (set through the objects' attributes), produces the
very same string.

Run through run.sh (env: AGORA_RTM_BIN, INTEROP_SEED, INTEROP_N).
"""

import json
import os
import random
import subprocess
import sys
import time
import traceback

import agoraiotools
from agoraiotools.AccessToken import AccessToken as LegacyAccessToken
from agoraiotools.AccessToken import kRtmLogin
from agoraiotools.AccessToken2 import AccessToken, ServiceRtm
from agoraiotools.RtmTokenBuilder import RtmTokenBuilder as LegacyRtmTokenBuilder
from agoraiotools.RtmTokenBuilder2 import RtmTokenBuilder

NAME = "python"
BIN = os.environ["AGORA_RTM_BIN"]
SEED = int(os.environ.get("INTEROP_SEED") or random.SystemRandom().randrange(2**32))
N = int(os.environ.get("INTEROP_N", "50"))
HEX = "0123456789abcdefABCDEF"
USER_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.@:=é中"


class Failure(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise Failure(what)


def random_case(rng):
    while True:
        user = "".join(rng.choice(USER_CHARS) for _ in range(rng.randint(1, 40)))
        if len(user.encode("utf-8")) <= 64:
            break
    return {
        "app_id": "".join(rng.choice(HEX) for _ in range(32)),
        "cert": "".join(rng.choice(HEX) for _ in range(32)),
        "user": user,
        "issue_ts": rng.randint(1_500_000_000, 2_100_000_000),
        "lifetime": rng.randint(1, 86400),
        "salt": rng.randint(1, 99_999_999),
    }


def expire_flag(rng, secs):
    forms = [str(secs), f"{secs}s"]
    if secs % 60 == 0:
        forms.append(f"{secs // 60}m")
    if secs % 3600 == 0:
        forms.append(f"{secs // 3600}h")
    return rng.choice(forms)


def cli(*args, env=None):
    full_env = dict(os.environ)
    full_env.pop("AGORA_APP_ID", None)
    full_env.pop("AGORA_APP_CERTIFICATE", None)
    full_env.update(env or {})
    return subprocess.run([BIN, *args], capture_output=True, text=True, env=full_env, timeout=60)


def inspect(token, cert, now, user=None, app_id=None):
    args = ["token", "inspect", token, "--app-certificate", cert, "--now", str(now)]
    if user is not None:
        args.append(f"--user={user}")
    if app_id is not None:
        args += ["--app-id", app_id]
    r = cli(*args)
    expect(r.returncode == 0, f"inspect exit {r.returncode}: {r.stdout}{r.stderr}")
    j = json.loads(r.stdout)
    expect(j.get("verified") is True, f"not verified: {r.stdout}")
    return j


def ours(c, legacy, rng):
    args = ["token", "rtm", f"--user={c['user']}", "--expire", expire_flag(rng, c["lifetime"]),
            "--issued-at", str(c["issue_ts"]), "--salt", str(c["salt"])]
    if legacy:
        args.append("--legacy")
    r = cli(*args, env={"AGORA_APP_ID": c["app_id"], "AGORA_APP_CERTIFICATE": c["cert"]})
    expect(r.returncode == 0, f"token rtm exit {r.returncode}: {r.stderr}")
    expect(c["cert"] not in r.stdout + r.stderr, "the certificate was printed")
    return r.stdout.strip()


def theirs_007(c):
    t = AccessToken(c["app_id"], c["cert"], issue_ts=c["issue_ts"], expire=c["lifetime"])
    t._AccessToken__salt = c["salt"]  # inject the salt (their constructor draws a random one)
    s = ServiceRtm(c["user"])
    s.add_privilege(ServiceRtm.kPrivilegeLogin, c["lifetime"])
    t.add_service(s)
    return t.build()


def theirs_006(c):
    t = LegacyAccessToken(c["app_id"], c["cert"], c["user"], "")
    t.salt = c["salt"]
    t.ts = c["issue_ts"] + 86400  # their default: now + 24 h
    t.addPrivilege(kRtmLogin, c["issue_ts"] + c["lifetime"])
    return t.build()


def check_007_theirs_to_ours(c, rng):
    token = theirs_007(c)
    j = inspect(token, c["cert"], c["issue_ts"] + rng.randint(0, c["lifetime"] - 1), app_id=c["app_id"])
    expect(j["version"] == "007", j)
    expect(j["app_id"] == c["app_id"], f"app_id {j['app_id']}")
    expect(j["issue_ts"] == c["issue_ts"], f"issue_ts {j['issue_ts']}")
    expect(j["expire"] == c["lifetime"], f"expire {j['expire']}")
    expect(j["salt"] == c["salt"], f"salt {j['salt']}")
    expect(len(j["services"]) == 1, j["services"])
    s = j["services"][0]
    expect(s["type"] == 2 and s["user_id"] == c["user"], s)
    expect(s["privileges"] == [dict(s["privileges"][0], privilege=1, expire=c["lifetime"])], s)
    # their public builder (issue time = now, random salt)
    now = int(time.time())
    token2 = RtmTokenBuilder.build_token(c["app_id"], c["cert"], c["user"], c["lifetime"])
    j2 = inspect(token2, c["cert"], now, user=c["user"])
    expect(j2["expire"] == c["lifetime"] and abs(j2["issue_ts"] - now) <= 5, j2)


def check_007_ours_to_theirs(c, rng):
    token = ours(c, False, rng)
    p = AccessToken()
    expect(p.from_string(token), "from_string failed")
    expect(p._AccessToken__app_id == c["app_id"].encode(), "app_id")
    expect(p._AccessToken__issue_ts == c["issue_ts"], "issue_ts")
    expect(p._AccessToken__expire == c["lifetime"], "expire")
    expect(p._AccessToken__salt == c["salt"], "salt")
    services = p._AccessToken__service
    expect(list(services) == [ServiceRtm.kServiceType], f"services {list(services)}")
    rtm = services[ServiceRtm.kServiceType]
    expect(rtm._ServiceRtm__user_id == c["user"].encode("utf-8"), "user_id")
    expect(rtm._Service__privileges == {ServiceRtm.kPrivilegeLogin: c["lifetime"]}, "privileges")
    expect(token == theirs_007(c), f"string differs from agoraiotools': {token} vs {theirs_007(c)}")


def check_006_theirs_to_ours(c, rng):
    token = theirs_006(c)
    j = inspect(token, c["cert"], c["issue_ts"], user=c["user"], app_id=c["app_id"])
    expect(j["version"] == "006", j)
    expect(j["app_id"] == c["app_id"], j)
    expect(j["user_account"] == c["user"], j)
    expect(j["salt"] == c["salt"] and j["ts"] == c["issue_ts"] + 86400, j)
    expect(j["expires_at"] == c["issue_ts"] + c["lifetime"], j)
    # their public builder (random salt, ts = now + 24 h, absolute privilege expiry)
    token2 = LegacyRtmTokenBuilder.buildToken(c["app_id"], c["cert"], c["user"], 1, c["issue_ts"] + c["lifetime"])
    j2 = inspect(token2, c["cert"], c["issue_ts"], user=c["user"])
    expect(j2["expires_at"] == c["issue_ts"] + c["lifetime"], j2)


def check_006_ours_to_theirs(c, rng):
    token = ours(c, True, rng)
    p = LegacyAccessToken()
    expect(p.fromString(token), "fromString failed")
    expect(token[3:35] == c["app_id"], "app id")
    expect(p.salt == c["salt"], "salt")
    expect(p.ts == c["issue_ts"] + 86400, "ts")
    expect(p.messages == {kRtmLogin: c["issue_ts"] + c["lifetime"]}, f"messages {p.messages}")
    expect(token == theirs_006(c), f"string differs from agoraiotools': {token} vs {theirs_006(c)}")


CHECKS = [
    ("007 agoraiotools -> agora-rtm", check_007_theirs_to_ours),
    ("007 agora-rtm -> agoraiotools", check_007_ours_to_theirs),
    ("006 agoraiotools -> agora-rtm", check_006_theirs_to_ours),
    ("006 agora-rtm -> agoraiotools", check_006_ours_to_theirs),
]


def main():
    print(f"{NAME}: agoraiotools {agoraiotools.__version__}, seed={SEED}, n={N}", flush=True)
    rng = random.Random(SEED)
    passed = failed = 0
    for i in range(N):
        c = random_case(rng)
        for label, check in CHECKS:
            try:
                check(c, rng)
                passed += 1
            except Exception as e:  # noqa: BLE001 - report every failure, keep going
                failed += 1
                print(f"{NAME}: FAIL case {i} [{label}] seed={SEED} input={json.dumps(c, ensure_ascii=False)}: {e}")
                if not isinstance(e, Failure):
                    traceback.print_exc(file=sys.stdout)
    print(f"{NAME}: {passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
