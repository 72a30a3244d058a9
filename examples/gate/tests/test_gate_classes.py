"""The gate app's own unit tests: mocks only, no database, Redis or network. Both variants
pass them - which is the point of the example: every bug below is invisible to mocks."""

from __future__ import annotations

from unittest import mock

import pytest
import redis
from gate.app import CUSTOMER_SQL_BUGGY, CUSTOMER_SQL_FIXED, Gate, HttpError
from gate.sessions import MemorySessions, RedisSessions
from gate.settings import Settings
from gate.thirdparty import CARRIER_VERSION, CARRIER_VERSION_LEGACY, CarrierClient, PaymentsClient, UpstreamError


def make_gate(fixed: bool, **parts) -> Gate:
    defaults = dict(
        database=mock.MagicMock(),
        cache=mock.MagicMock(),
        carrier=mock.MagicMock(),
        payments=mock.MagicMock(),
        sessions=MemorySessions(),
    )
    defaults.update(parts)
    return Gate(Settings(fixed=fixed), **defaults)


def test_settings_switch():
    assert Settings.from_env({}).fixed is False
    assert Settings.from_env({"GATE_FIXED": "1"}).fixed is True
    assert Settings.from_env({"GATE_WORKERS": "2", "PORT": "9000"}).workers == 2


@pytest.mark.parametrize("fixed, sql", [(False, CUSTOMER_SQL_BUGGY), (True, CUSTOMER_SQL_FIXED)])
def test_customer_lookup(fixed, sql):
    db = mock.MagicMock()
    db.fetch.return_value = [(7, "user7@example.com", "User 7")]
    gate = make_gate(fixed, database=db)
    assert gate.customer("User7@Example.com") == {"id": 7, "email": "user7@example.com", "name": "User 7"}
    db.fetch.assert_called_once_with(sql, ("User7@Example.com",))
    db.fetch.return_value = []
    with pytest.raises(HttpError) as error:
        gate.customer("nobody@example.com")
    assert error.value.status == 404


def test_product_with_recommendations_both_variants():
    for fixed in (False, True):
        db, cache = mock.MagicMock(), mock.MagicMock()
        db.fetch.return_value = [("A1", "Beans", 24.9)]
        cache.lrange.return_value = [b"B2"]
        assert make_gate(fixed, database=db, cache=cache).product("A1")["also_bought"] == ["B2"]


def test_fixed_product_degrades_when_redis_fails():
    db, cache = mock.MagicMock(), mock.MagicMock()
    db.fetch.return_value = [("A1", "Beans", 24.9)]
    cache.lrange.side_effect = redis.TimeoutError("Timeout reading from socket")
    page = make_gate(True, database=db, cache=cache).product("A1")
    assert page["also_bought"] == [] and page["degraded"] is True


def test_redis_client_timeouts():
    from gate.app import redis_client

    fixed = redis_client("redis://cache:6379/0", True).connection_pool.connection_kwargs
    assert fixed["socket_timeout"] == 0.3 and fixed["socket_connect_timeout"] == 0.3
    buggy = redis_client("redis://cache:6379/0", False).connection_pool.connection_kwargs
    assert buggy.get("socket_timeout") is None


def _carrier(answers, attempts, version=CARRIER_VERSION):
    call, sleep = mock.MagicMock(side_effect=answers), mock.MagicMock()
    return (
        CarrierClient("http://carrier:8080", "k", attempts=attempts, label_version=version, call=call, sleep=sleep),
        call,
        sleep,
    )


def test_rates_first_answer():
    client, call, _ = _carrier([(200, {"eur": 4.9}, None)], attempts=1)
    assert client.rates("A1") == {"eur": 4.9}
    method, url, headers, body, _ = call.call_args.args
    assert (method, url, headers["Carrier-Version"]) == ("GET", "http://carrier:8080/v1/rates?sku=A1", CARRIER_VERSION)


def test_rates_retry_honours_retry_after():
    client, call, sleep = _carrier([(503, {}, 1.0), (429, {}, None), (200, {"eur": 4.9}, None)], attempts=4)
    assert client.rates("A1") == {"eur": 4.9}
    assert [c.args[0] for c in sleep.call_args_list] == [1.0, 0.4]
    client, call, sleep = _carrier([(503, {}, 30.0)] * 4, attempts=4)
    with pytest.raises(UpstreamError):
        client.rates("A1")
    assert call.call_count == 4 and max(c.args[0] for c in sleep.call_args_list) == 2.0


def test_rates_single_attempt_and_no_retry_on_client_errors():
    client, call, _ = _carrier([(503, {}, 1.0)], attempts=1)
    with pytest.raises(UpstreamError):
        client.rates("A1")
    client, call, _ = _carrier([(400, {}, None)], attempts=4)
    with pytest.raises(UpstreamError):
        client.rates("A1")
    assert call.call_count == 1


@pytest.mark.parametrize("version", [CARRIER_VERSION_LEGACY, CARRIER_VERSION])
def test_label_sends_its_version(version):
    client, call, _ = _carrier([(201, {"id": "lbl_1"}, None)], attempts=1, version=version)
    assert client.label("A1") == {"id": "lbl_1"}
    assert call.call_args.args[2]["Carrier-Version"] == version


def test_payments_token(tmp_path):
    token = tmp_path / "payments_token"
    token.write_text("tok-1\n")
    for reread in (False, True):
        call = mock.MagicMock(return_value=(201, {"id": "ch_1"}, None))
        client = PaymentsClient("http://payments:8080", str(token), reread_token=reread, call=call)
        assert client.charge(1000) == {"id": "ch_1"}
        assert call.call_args.args[2] == {"Authorization": "Bearer tok-1"}
    call = mock.MagicMock(return_value=(401, {}, None))
    with pytest.raises(UpstreamError):
        PaymentsClient("http://payments:8080", str(token), reread_token=True, call=call).charge(1)


def test_sessions_round_trip():
    memory = MemorySessions()
    sid = memory.create("ann")
    assert memory.user(sid) == "ann" and memory.user("other") is None
    store: dict = {}
    fake = mock.MagicMock()
    fake.set.side_effect = lambda key, value, ex: store.__setitem__(key, value.encode())
    fake.get.side_effect = store.get
    shared = RedisSessions(fake)
    sid = shared.create("bob")
    assert shared.user(sid) == "bob" and shared.user("nope") is None
    gate = make_gate(True, sessions=shared)
    assert gate.cart(sid) == {"user": "bob", "items": []}
    with pytest.raises(HttpError) as error:
        gate.cart(None)
    assert error.value.status == 401


def test_buy_buggy_reads_then_writes():
    db = mock.MagicMock()
    db.fetch.side_effect = [[(3,)], [(189.0,)]]
    assert make_gate(False, database=db).buy("R1") == {"sku": "R1", "left": 2}
    db.execute.assert_any_call("UPDATE stock SET qty = %s WHERE sku = %s", (2, "R1"))
    db.fetch.side_effect = [[(0,)]]
    with pytest.raises(HttpError) as error:
        make_gate(False, database=db).buy("R1")
    assert error.value.status == 409


def test_buy_fixed_is_one_conditional_update():
    db = mock.MagicMock()
    cur = db.transaction.return_value.__enter__.return_value
    cur.fetchone.return_value = (5,)
    assert make_gate(True, database=db).buy("R1") == {"sku": "R1", "left": 5}
    assert "qty = qty - 1" in cur.execute.call_args_list[0].args[0]
    cur.fetchone.return_value = None
    with pytest.raises(HttpError) as error:
        make_gate(True, database=db).buy("R1")
    assert error.value.status == 409


def test_inventory():
    db = mock.MagicMock()
    db.fetch.return_value = [(40, 0, 40)]
    assert make_gate(False, database=db).inventory("R1") == {"sku": "R1", "initial": 40, "stock": 0, "sold": 40}
