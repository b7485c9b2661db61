"""Token API and interop with Agora's Python builders (agoraiotools 0.3.4)."""

from __future__ import annotations

import datetime
import random
import time

import pytest
from agoraiotools.AccessToken import AccessToken as LegacyAccessToken
from agoraiotools.AccessToken import kRtmLogin
from agoraiotools.AccessToken2 import AccessToken, ServiceRtm
from agoraiotools.RtmTokenBuilder2 import RtmTokenBuilder

import agora_rtm_rest as rtm

APP_ID = "970CA35de60c44645bbae8a215061b33"
CERT = "5CFd2fd1755d40ecb72977518be15d3b"


def test_build_parse_verify_roundtrip() -> None:
    token = rtm.build_rtm_token(APP_ID, CERT, "alice", datetime.timedelta(hours=1))
    parsed = rtm.parse_token(token)
    assert parsed.version == "007" and parsed.app_id == APP_ID and parsed.user_id == "alice"
    assert parsed.issued_at is not None and abs(parsed.issued_at - time.time()) < 5
    assert parsed.expires_at == parsed.issued_at + 3600
    assert rtm.verify_token(token, CERT, user_id="alice").user_id == "alice"
    assert parsed.to_dict()["services"][0]["name"] == "rtm"
    assert CERT not in repr(parsed)


def test_token_errors_are_typed() -> None:
    with pytest.raises(rtm.TokenError) as info:
        rtm.build_rtm_token(APP_ID, CERT, "alice", 10**9)
    assert info.value.kind == "lifetime_looks_absolute"
    assert isinstance(info.value, rtm.InvalidInputError)
    token = rtm.build_rtm_token(APP_ID, CERT, "alice", 60)
    with pytest.raises(rtm.TokenError) as info:
        rtm.verify_token(token, "0" * 32)
    assert info.value.kind == "bad_signature"
    with pytest.raises(rtm.TokenError) as info:
        rtm.verify_token(token, CERT, now=int(time.time()) + 120)
    assert info.value.kind == "expired"
    legacy = rtm.build_legacy_rtm_token(APP_ID, CERT, "bob", 60)
    with pytest.raises(rtm.TokenError) as info:
        rtm.verify_token(legacy, CERT)
    assert info.value.kind == "user_account_required"
    assert rtm.verify_token(legacy, CERT, user_id="bob").version == "006"


def cases(n: int = 25) -> list[tuple[str, str, str, int, int, int]]:
    rng = random.Random(1234)
    hexd = "0123456789abcdef"
    out = []
    for _ in range(n):
        out.append(("".join(rng.choice(hexd) for _ in range(32)), "".join(rng.choice(hexd) for _ in range(32)),
                    "".join(rng.choice("abcdefXYZ019_-.@") for _ in range(rng.randint(1, 40))),
                    rng.randint(1_600_000_000, 2_000_000_000), rng.randint(1, 86400), rng.randint(1, 99_999_999)))
    return out


@pytest.mark.parametrize("app_id,cert,user,issue,lifetime,salt", cases())
def test_007_same_string_as_agoraiotools(app_id: str, cert: str, user: str, issue: int, lifetime: int, salt: int) -> None:
    ours = rtm.build_rtm_token(app_id, cert, user, lifetime, issue_ts=issue, salt=salt)
    t = AccessToken(app_id, cert, issue_ts=issue, expire=lifetime)
    t._AccessToken__salt = salt  # their constructor draws a random salt
    svc = ServiceRtm(user)
    svc.add_privilege(ServiceRtm.kPrivilegeLogin, lifetime)
    t.add_service(svc)
    theirs = t.build()
    # ours -> theirs: their parser reads ours; theirs -> ours: we verify theirs.
    parsed = AccessToken()
    assert parsed.from_string(ours)
    assert parsed._AccessToken__app_id.decode() == app_id  # type: ignore[attr-defined]
    assert ours == theirs
    assert rtm.verify_token(theirs, cert, user_id=user, now=issue + 1).user_id == user


@pytest.mark.parametrize("app_id,cert,user,issue,lifetime,salt", cases(10))
def test_006_verifies_agoraiotools_tokens(app_id: str, cert: str, user: str, issue: int, lifetime: int, salt: int) -> None:
    lt = LegacyAccessToken(app_id, cert, user, "")
    lt.salt = salt
    lt.ts = issue + 86400
    lt.addPrivilege(kRtmLogin, issue + lifetime)
    theirs = lt.build()
    parsed = rtm.verify_token(theirs, cert, user_id=user, now=issue)
    assert parsed.version == "006" and parsed.expires_at == issue + lifetime
    ours = rtm.build_legacy_rtm_token(app_id, cert, user, lifetime, issue_ts=issue, salt=salt)
    t = LegacyAccessToken()
    assert t.fromString(ours)
    assert t.salt == salt and t.ts == issue + 86400


def test_builder2_token_verifies() -> None:
    theirs = RtmTokenBuilder.build_token(APP_ID, CERT, "carol", 3600)
    assert rtm.verify_token(theirs, CERT, user_id="carol").user_id == "carol"
