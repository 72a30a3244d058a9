"""`envsim worker --master HOST:PORT`: the address is read, or refused with what is wrong."""

from __future__ import annotations

import pytest

from envsim.api.workers import master_address
from envsim.errors import InputError


def test_host_and_port_are_read_an_ipv6_host_in_brackets():
    assert master_address("10.231.7.1:5557") == ("10.231.7.1", 5557)
    assert master_address("gen-1.internal:6000") == ("gen-1.internal", 6000)
    assert master_address("[fd00::1]:5557") == ("fd00::1", 5557)


@pytest.mark.parametrize("text", ["10.0.0.5", ":5557", "host:", "host:http", "host:70000", "host:0"])
def test_anything_else_is_invalid_input_naming_the_option(text):
    with pytest.raises(InputError, match="--master: .* is not HOST:PORT"):
        master_address(text)
