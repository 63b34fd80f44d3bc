"""eventkit.crypto: field encryption, key rotation, blind indexes, the Sealed model, key files."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest
from pydantic_settings import SettingsConfigDict

from eventkit.crypto import DecryptionError, Keyring, KeyringError, Sealed, is_token, mask_name, token_kid
from eventkit.events import Event
from eventkit.logging import mask_account, mask_id_number
from eventkit.settings import ServiceSettings

ACCOUNT = "6222020200001234"
ID_NUMBER = "11010519491231002X"
ACCOUNT_CTX = "declaration/payer.bank_account"
ID_CTX = "declaration/payer.id_number"


def b64key(seed: int) -> str:
    return base64.b64encode(bytes([seed]) * 32).decode()


def two_key_doc(active: str = "k1") -> dict[str, object]:
    return {"active": active, "keys": {"k1": b64key(1), "k2": b64key(2)}}


# ---- encrypt / decrypt ----------------------------------------------------------------------


def test_round_trip_and_token_shape() -> None:
    kr = Keyring.generate()
    token = kr.encrypt(ACCOUNT, context=ACCOUNT_CTX)
    assert token.startswith("enc:v1:k1:") and is_token(token) and token_kid(token) == "k1"
    assert ACCOUNT not in token
    assert kr.decrypt(token, context=ACCOUNT_CTX) == ACCOUNT
    # any text survives: Chinese, empty, long
    for value in ("张三", "", "x" * 10_000):
        assert kr.decrypt(kr.encrypt(value, context="c"), context="c") == value


def test_each_encryption_uses_a_fresh_nonce() -> None:
    kr = Keyring.generate()
    tokens = {kr.encrypt(ACCOUNT, context=ACCOUNT_CTX) for _ in range(50)}
    assert len(tokens) == 50
    nonces = {base64.urlsafe_b64decode(t.split(":")[3] + "==")[:12] for t in tokens}
    assert len(nonces) == 50


def test_wrong_context_fails() -> None:
    kr = Keyring.generate()
    token = kr.encrypt(ACCOUNT, context=ACCOUNT_CTX)
    with pytest.raises(DecryptionError, match="another field"):
        kr.decrypt(token, context="refund/instruction.bank_account")
    with pytest.raises(ValueError, match="context"):
        kr.encrypt(ACCOUNT, context="")


@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_tampered_token_fails(where: str) -> None:
    kr = Keyring.generate()
    token = kr.encrypt(ACCOUNT, context=ACCOUNT_CTX)
    head, data = token.rsplit(":", 1)
    blob = bytearray(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
    blob[{"first": 0, "middle": len(blob) // 2, "last": -1}[where]] ^= 0x01
    forged = f"{head}:{base64.urlsafe_b64encode(bytes(blob)).rstrip(b'=').decode()}"
    with pytest.raises(DecryptionError, match="tampered"):
        kr.decrypt(forged, context=ACCOUNT_CTX)


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("6222020200001234", "not an encrypted token"),
        ("enc:v2:k1:AAAA", "unsupported token version 'v2'"),
        ("enc:v1:k1:AAAA", "too short"),
        ("enc:v1:k1:not base64!", "not an encrypted token"),
        ("enc:v1:k1", "unsupported token version"),
    ],
)
def test_malformed_tokens_are_named(token: str, message: str) -> None:
    with pytest.raises(DecryptionError, match=message):
        Keyring.generate().decrypt(token, context=ACCOUNT_CTX)


def test_unknown_kid_fails_clearly() -> None:
    token = Keyring.generate(kid="k9").encrypt(ACCOUNT, context=ACCOUNT_CTX)
    with pytest.raises(DecryptionError, match=r"unknown key id 'k9': the keyring holds k1, k2"):
        Keyring.from_value(json.dumps(two_key_doc())).decrypt(token, context=ACCOUNT_CTX)


def test_a_key_of_the_same_name_but_other_bytes_does_not_open() -> None:
    token = Keyring.generate().encrypt(ACCOUNT, context=ACCOUNT_CTX)
    with pytest.raises(DecryptionError, match="under key 'k1'"):
        Keyring.generate().decrypt(token, context=ACCOUNT_CTX)


# ---- rotation -------------------------------------------------------------------------------


def test_rotation_keeps_old_tokens_readable_and_seals_new_ones_with_the_new_key() -> None:
    old = Keyring.from_value(json.dumps({"keys": {"k1": b64key(1)}}))
    old_token = old.encrypt(ACCOUNT, context=ACCOUNT_CTX)
    assert token_kid(old_token) == "k1"

    rotated = Keyring.from_value(json.dumps(two_key_doc(active="k2")))
    assert rotated.active == "k2" and rotated.kids == ("k1", "k2")
    assert rotated.decrypt(old_token, context=ACCOUNT_CTX) == ACCOUNT
    new_token = rotated.encrypt(ACCOUNT, context=ACCOUNT_CTX)
    assert token_kid(new_token) == "k2"
    assert rotated.needs_reencryption(old_token) and not rotated.needs_reencryption(new_token)
    # the old keyring does not know k2
    with pytest.raises(DecryptionError, match="unknown key id 'k2'"):
        old.decrypt(new_token, context=ACCOUNT_CTX)


def test_with_new_key_and_with_active() -> None:
    kr = Keyring.generate()
    token = kr.encrypt(ACCOUNT, context=ACCOUNT_CTX)
    index = kr.blind_index(ID_NUMBER, context=ID_CTX)
    kr2 = kr.with_new_key()
    assert kr2.active == "k2" and kr2.kids == ("k1", "k2")
    assert kr2.decrypt(token, context=ACCOUNT_CTX) == ACCOUNT
    assert token_kid(kr2.encrypt(ACCOUNT, context=ACCOUNT_CTX)) == "k2"
    assert kr2.blind_index(ID_NUMBER, context=ID_CTX) == index
    assert kr2.with_active("k1").active == "k1"
    with pytest.raises(KeyringError, match="already"):
        kr2.with_new_key("k1")
    with pytest.raises(KeyringError, match="not among the keys"):
        kr2.with_active("k7")


# ---- blind index ----------------------------------------------------------------------------


def test_blind_index_is_stable_across_rotation_and_separated_by_context() -> None:
    single = Keyring.from_value(b64key(1))  # a plain one-key file: kid k1
    rotated = Keyring.from_value(json.dumps(two_key_doc(active="k2")))
    idx = single.blind_index(ID_NUMBER, context=ID_CTX)
    assert len(idx) == 64 and int(idx, 16) >= 0
    assert ID_NUMBER not in idx
    assert idx == single.blind_index(ID_NUMBER, context=ID_CTX)
    assert rotated.blind_index(ID_NUMBER, context=ID_CTX) == idx
    assert single.blind_index(ID_NUMBER, context="refund/payee.id_number") != idx
    assert single.blind_index("110105194912310021", context=ID_CTX) != idx
    # a different first key gives different indexes
    assert Keyring.from_value(b64key(3)).blind_index(ID_NUMBER, context=ID_CTX) != idx
    # context and value cannot be shifted into each other
    assert single.blind_index("b:c", context="a") != single.blind_index("c", context="a:b")


def test_explicit_index_key_wins_and_survives_retiring_the_first_key() -> None:
    doc = {**two_key_doc(active="k2"), "index_key": b64key(9)}
    kr = Keyring.from_value(json.dumps(doc))
    idx = kr.blind_index(ID_NUMBER, context=ID_CTX)
    assert idx != Keyring.from_value(json.dumps(two_key_doc(active="k2"))).blind_index(ID_NUMBER, context=ID_CTX)
    retired = Keyring.from_value(json.dumps({"active": "k2", "keys": {"k2": b64key(2)}, "index_key": b64key(9)}))
    assert retired.blind_index(ID_NUMBER, context=ID_CTX) == idx
    # to_json pins the (derived) index key, so a derived index also survives retiring k1
    derived = Keyring.from_value(json.dumps(two_key_doc(active="k2")))
    pinned = json.loads(derived.to_json())
    del pinned["keys"]["k1"]
    assert Keyring.from_value(json.dumps(pinned)).blind_index(ID_NUMBER, context=ID_CTX) == derived.blind_index(
        ID_NUMBER, context=ID_CTX
    )


# ---- Sealed ---------------------------------------------------------------------------------


class PayerRegistered(Event):
    name = "test.PayerRegistered"

    payer: str
    bank_account: Sealed
    id_number: Sealed
    contact: Sealed


def test_sealed_json_round_trip_carries_only_ciphertext_and_mask() -> None:
    kr = Keyring.generate()
    event = PayerRegistered(
        payer="91320600MA1XXXXXX0",
        bank_account=Sealed.seal(ACCOUNT, kr, ACCOUNT_CTX),
        id_number=Sealed.seal(ID_NUMBER, kr, ID_CTX, mask=mask_id_number),
        contact=Sealed.seal("欧阳娜娜", kr, "declaration/payer.contact", mask=mask_name),
    )
    text = event.model_dump_json()
    for secret in (ACCOUNT, ID_NUMBER, "欧阳娜娜", "娜娜", ID_NUMBER[4:14], ACCOUNT[4:12]):
        assert secret not in text
    assert json.loads(text)["bank_account"] == {"ciphertext": event.bank_account.ciphertext, "masked": "6222********1234"}
    assert event.id_number.masked == "1101**********002X"
    assert event.contact.masked == "欧***"

    back = PayerRegistered.model_validate_json(text)
    assert back == event
    assert back.bank_account.open(kr, ACCOUNT_CTX) == ACCOUNT
    assert back.id_number.open(kr, ID_CTX) == ID_NUMBER
    assert back.contact.open(kr, "declaration/payer.contact") == "欧阳娜娜"
    with pytest.raises(DecryptionError):
        back.bank_account.open(kr, ID_CTX)  # moved to another field
    with pytest.raises(DecryptionError):
        back.bank_account.open(Keyring.generate(), ACCOUNT_CTX)  # another service's keyring


def test_sealed_never_shows_the_plaintext() -> None:
    kr = Keyring.generate()
    sealed = Sealed.seal(ACCOUNT, kr, ACCOUNT_CTX)
    assert str(sealed) == f"{sealed}" == "6222********1234"
    assert repr(sealed) == "Sealed(masked='6222********1234', kid='k1')"
    assert sealed.kid == "k1"
    assert ACCOUNT not in repr(sealed) and ACCOUNT not in repr(kr) and "enc:" not in repr(sealed)
    assert repr(kr) == "Keyring(active='k1', kids=['k1'])"


def test_sealed_rejects_a_plaintext_in_the_ciphertext_field() -> None:
    with pytest.raises(ValueError, match="ciphertext"):
        Sealed(ciphertext=ACCOUNT, masked=mask_account(ACCOUNT))
    with pytest.raises(ValueError, match="extra"):
        Sealed.model_validate({"ciphertext": Keyring.generate().encrypt("x", context="c"), "masked": "*", "plain": "x"})


def test_mask_name() -> None:
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_name("买买提·艾力") == "买*****"
    assert mask_name(" 李四 ") == "李*"
    assert mask_name("王") == "*"
    assert mask_name("") == ""


# ---- key files and values -------------------------------------------------------------------


def test_key_file_formats(tmp_path: Path) -> None:
    raw = bytes(range(32))
    plain = tmp_path / "plain.key"
    plain.write_text(base64.b64encode(raw).decode() + "\n")
    kr = Keyring.from_file(plain)
    assert (kr.active, kr.kids) == ("k1", ("k1",))
    token = kr.encrypt(ACCOUNT, context=ACCOUNT_CTX)
    # URL-safe alphabet and missing padding are accepted for the same key
    urlsafe = tmp_path / "urlsafe.key"
    urlsafe.write_text(base64.urlsafe_b64encode(raw).decode().rstrip("="))
    assert Keyring.from_file(urlsafe).decrypt(token, context=ACCOUNT_CTX) == ACCOUNT
    # JSON; the plain file's key is k1 there too, so its tokens still open
    ring = tmp_path / "ring.json"
    ring.write_text(json.dumps({"active": "k2", "keys": {"k1": base64.b64encode(raw).decode(), "k2": b64key(2)}}))
    kr2 = Keyring.from_file(ring)
    assert (kr2.active, kr2.kids) == ("k2", ("k1", "k2"))
    assert kr2.decrypt(token, context=ACCOUNT_CTX) == ACCOUNT
    # and to_json / from_value round-trips
    again = Keyring.from_value(kr2.to_json())
    assert (again.active, again.kids) == ("k2", ("k1", "k2"))
    assert again.decrypt(token, context=ACCOUNT_CTX) == ACCOUNT
    assert again.blind_index(ID_NUMBER, context=ID_CTX) == kr.blind_index(ID_NUMBER, context=ID_CTX)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("not base64 at all!", "not valid base64"),
        (base64.b64encode(b"short").decode(), "5 bytes; AES-256 keys are 32 bytes"),
        ("{not json", "malformed"),
        ("[1, 2]", "must be an object"),
        ('{"keys": {}}', "needs 'keys'"),
        (json.dumps({"keys": {"k1": b64key(1), "k2": b64key(2)}}), "no active one"),
        (json.dumps({"active": "k3", "keys": {"k1": b64key(1)}}), "active key 'k3' is not among"),
        (json.dumps({"activ": "k1", "keys": {"k1": b64key(1)}}), "unknown field.*activ"),
        (json.dumps({"keys": {"bad:kid": b64key(1)}}), "key id 'bad:kid'"),
        (json.dumps({"keys": {"k1": 5}}), "must be a base64 string"),
        (json.dumps({"keys": {"k1": b64key(1)}, "index_key": "AAAA"}), "index_key is 3 bytes"),
    ],
)
def test_bad_key_values_are_named_without_showing_key_material(text: str, message: str) -> None:
    with pytest.raises(KeyringError, match=message) as err:
        Keyring.from_value(text)
    assert b64key(1) not in str(err.value) and b64key(2) not in str(err.value)


def test_missing_key_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(KeyringError, match="cannot read key file"):
        Keyring.from_file(tmp_path / "absent.key")
    bad = tmp_path / "bad.key"
    bad.write_text("nope!")
    with pytest.raises(KeyringError, match=r"bad\.key.*not valid base64"):
        Keyring.from_file(bad)


def test_write_new_is_private_and_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "var" / "keys" / "data.key"
    kr = Keyring.write_new(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    loaded = Keyring.from_file(path)
    assert set(json.loads(path.read_text())) == {"active", "keys", "index_key"}
    token = kr.encrypt(ACCOUNT, context=ACCOUNT_CTX)
    assert loaded.decrypt(token, context=ACCOUNT_CTX) == ACCOUNT
    assert loaded.blind_index(ID_NUMBER, context=ID_CTX) == kr.blind_index(ID_NUMBER, context=ID_CTX)
    with pytest.raises(FileExistsError):
        Keyring.write_new(path)
    rotated = loaded.with_new_key()
    rotated.write(path, overwrite=True)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert Keyring.from_file(path).decrypt(token, context=ACCOUNT_CTX) == ACCOUNT
    assert Keyring.from_file(path).active == "k2"


def test_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOME_KEY", json.dumps(two_key_doc(active="k2")))
    assert Keyring.from_env("SOME_KEY").active == "k2"
    monkeypatch.delenv("SOME_KEY")
    with pytest.raises(KeyringError, match="SOME_KEY is not set"):
        Keyring.from_env("SOME_KEY")


# ---- settings -------------------------------------------------------------------------------


class RefundSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REFUND_")

    service_name: str = "refund"


@pytest.fixture
def clean_key_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("DATA_KEY", "DATA_KEY_FILE", "REFUND_DATA_KEY", "REFUND_DATA_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_settings_without_a_key_have_no_keyring(clean_key_env: pytest.MonkeyPatch) -> None:
    assert RefundSettings().keyring() is None


def test_settings_keyring_from_prefixed_file(clean_key_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "refund.key"
    written = Keyring.write_new(path)
    token = written.encrypt(ACCOUNT, context=ACCOUNT_CTX)
    clean_key_env.setenv("REFUND_DATA_KEY_FILE", str(path))
    kr = RefundSettings().keyring()
    assert kr is not None and kr.decrypt(token, context=ACCOUNT_CTX) == ACCOUNT


def test_settings_keyring_plain_env_fallback_and_precedence(clean_key_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    machine = tmp_path / "machine.key"
    machine.write_text(b64key(1))
    clean_key_env.setenv("DATA_KEY", json.dumps({"active": "inline", "keys": {"inline": b64key(4)}}))
    kr = RefundSettings().keyring()
    assert kr is not None and kr.kids == ("inline",)  # plain DATA_KEY
    clean_key_env.setenv("DATA_KEY_FILE", str(machine))
    kr = RefundSettings().keyring()
    assert kr is not None and kr.kids == ("k1",)  # the file wins over the value
    # a service's own inline key wins over the machine's plain file and value
    clean_key_env.setenv("REFUND_DATA_KEY", json.dumps({"active": "own", "keys": {"own": b64key(5)}}))
    s = RefundSettings()
    assert s.data_key_file is None
    kr = s.keyring()
    assert kr is not None and kr.kids == ("own",)
    # the inline key is a secret: not in repr()
    assert b64key(5) not in repr(s)


def test_settings_with_a_broken_key_file_fail_loudly(clean_key_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_key_env.setenv("DATA_KEY_FILE", str(tmp_path / "absent.key"))
    with pytest.raises(KeyringError, match="cannot read key file"):
        RefundSettings().keyring()
