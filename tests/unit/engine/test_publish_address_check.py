"""`--publish-address` takes only an address of this machine, refused before any engine is asked."""

from __future__ import annotations

import sys

import pytest
from click.testing import CliRunner

from envsim.cli import cli
from envsim.cli.failures import run_cli
from envsim.engine.local_address import checked_publish_address
from envsim.errors import InputError

NOT_HERE = "192.0.2.1"  # TEST-NET-1 (RFC 5737): assigned to no machine


@pytest.mark.parametrize("address", ["127.0.0.1", "0.0.0.0"])
def test_an_address_of_this_machine_is_taken(address):
    assert checked_publish_address(address) == address


def test_an_address_of_another_machine_is_refused_with_the_reason():
    with pytest.raises(InputError) as refused:
        checked_publish_address(NOT_HERE)
    message = str(refused.value)
    assert message.startswith(f"--publish-address {NOT_HERE}: not an address of this machine")
    assert "Cannot assign requested address" in message and "ip -brief address" in message


def test_a_name_is_refused():
    with pytest.raises(InputError, match="--publish-address: 'shop.internal' is not an IP address"):
        checked_publish_address("shop.internal")


def _envsim(args, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["envsim", *args])
    with CliRunner().isolation() as (out, err, _):
        code = run_cli(cli)
        return code, out.getvalue().decode(), err.getvalue().decode()


def test_up_refuses_an_address_of_another_machine_with_exit_2_before_asking_the_engine(monkeypatch):
    import envsim.api

    def no_engine(*args, **kwargs):
        raise AssertionError("the engine was asked")

    monkeypatch.setattr(envsim.api, "open_backend", no_engine, raising=False)
    code, out, err = _envsim(["up", "prod-like", "--publish-address", NOT_HERE], monkeypatch)
    assert code == 2, err
    assert f"--publish-address {NOT_HERE}: not an address of this machine" in err
    assert "Traceback" not in err and out == ""


def test_up_says_where_it_published_and_warns_of_every_address(capsys):
    from envsim.cli.cmd_stack import _report_up

    _report_up("shop", ["api-http: http://127.0.0.1:32768"], "0.0.0.0")
    captured = capsys.readouterr()
    assert "entry points published on 0.0.0.0 (every address of this machine" in captured.out
    assert "warning: the entry points listen on every address of this machine (0.0.0.0)" in captured.err
    _report_up("shop", ["api-http: http://10.0.0.5:32768"], "10.0.0.5")
    captured = capsys.readouterr()
    assert "entry points published on 10.0.0.5" in captured.out and captured.err == ""
    _report_up("shop", ["api-http: http://127.0.0.1:32768"], "127.0.0.1")
    assert "published on" not in capsys.readouterr().out  # the default goes without saying
