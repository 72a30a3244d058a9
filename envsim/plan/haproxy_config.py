"""The HAProxy configuration of a front that holds HTTP faults (envsim.plan.balancers).

Each port gets an HTTP frontend balancing over the service's replicas, as the balancer image's
own configuration does, plus every failure mode's rules behind an ACL that reads the failure
mode's switch from a map. The engine flips a switch with the runtime API's `set map`: no
reload, no connection dropped, and a switch left on is undone by setting it off.

HAProxy 2.6 has no action that holds a request for a while and then forwards it. A delay is
therefore a detour: a backend whose one server is an internal TCP frontend (on an abstract
socket) that holds each connection for `tcp-request inspect-delay` before passing it on to
the replicas. `option http-server-close` makes every request a new internal connection, so
every request waits, not just a connection's first.
"""

from __future__ import annotations

from envsim.plan.balancers import BalancerPlan, FrontFault

FAULT_MAP = "/tmp/envsim-faults.map"  # inside the container; one line per switch: "NAME on|off"
CONFIG_PATH = "/tmp/haproxy.cfg"
RATE_SCALE = 1_000_000  # rand() draws below this; a rate r hits when the draw is below r * RATE_SCALE

_GLOBAL = """global
    log stdout format raw local0 warning
    maxconn 8192
    stats socket ipv4@0.0.0.0:{api_port} level admin

defaults
    mode http
    log global
    timeout connect 5s
    timeout client 1h
    timeout server 1h
    # a replica that refuses a connection is tried again on another one, as production's does
    retries 2
    option redispatch

resolvers engine
    parse-resolv-conf
    hold valid 1s
    hold obsolete 1s
"""


def fault_map(balancer: BalancerPlan) -> str:
    """The fault map the front starts with: every switch off."""
    return "".join(f"{fault.switch} off\n" for fault in balancer.faults)


def render_haproxy_config(balancer: BalancerPlan) -> str:
    sections = [_GLOBAL.format(api_port=balancer.api_port)]
    for port in balancer.ports:
        sections.append(_frontend(balancer, port))
        sections.append(_backend(f"replicas_{port}", "http", balancer.replicas, port))
        for index, fault in enumerate(balancer.faults):
            if fault.fault.delay:
                sections.append(_delay_detour(index, fault.fault.delay, port))
        if any(fault.fault.delay for fault in balancer.faults):
            sections.append(_backend(f"replicas_tcp_{port}", "tcp", balancer.replicas, port))
    return "\n".join(sections)


def _frontend(balancer: BalancerPlan, port: int) -> str:
    lines = [f"frontend port_{port}", f"    bind :{port}"]
    for index, fault in enumerate(balancer.faults):
        lines.append(f"    acl fault_{index} str({fault.switch}),map({FAULT_MAP},off) -m str on")
    for index, fault in enumerate(balancer.faults):
        lines += _fault_rules(index, fault)
    for index, fault in enumerate(balancer.faults):
        if fault.fault.delay:
            lines.append(f"    use_backend delay_{index}_{port} if fault_{index}")
    lines.append(f"    default_backend replicas_{port}")
    return "\n".join(lines) + "\n"


def _fault_rules(index: int, front_fault: FrontFault) -> list[str]:
    fault, acl = front_fault.fault, f"fault_{index}"
    answer = f'content-type text/plain string "envsim fault {front_fault.switch}"'
    if fault.retry_after:
        answer += f" hdr Retry-After {max(1, round(fault.retry_after))}"
    lines = []
    if fault.outage:
        lines.append(f"    http-request return status 503 {answer} if {acl}")
    answered = 0.0
    for status, rate in fault.rates:
        # each rule draws anew among the requests the rules before it let through
        lines.append(f"    http-request return status {status} {answer} if {acl} {_draw(rate, answered)}")
        answered += rate
    if fault.drop:
        lines.append(f"    http-request reject if {acl} {_draw(fault.drop, answered)}")
    return lines


def _draw(rate: float, taken: float) -> str:
    """An anonymous ACL true for `rate` of all requests, among the 1 - `taken` still unanswered."""
    share = 1.0 if taken >= 1.0 else min(1.0, rate / (1.0 - taken))
    return f"{{ rand({RATE_SCALE}) lt {round(share * RATE_SCALE)} }}"


def _backend(name: str, mode: str, replicas: tuple[str, ...], port: int) -> str:
    lines = [f"backend {name}", f"    mode {mode}", "    balance roundrobin"]
    lines += [
        f"    server {replica} {replica}:{port} resolvers engine init-addr libc,none check inter 1s fall 2 rise 1"
        for replica in replicas
    ]
    return "\n".join(lines) + "\n"


def _delay_detour(index: int, delay: float, port: int) -> str:
    socket = f"abns@envsim-delay-{index}-{port}"
    return (
        f"backend delay_{index}_{port}\n"
        "    option http-server-close\n"
        f"    server held {socket}\n"
        "\n"
        f"frontend held_{index}_{port}\n"
        "    mode tcp\n"
        f"    bind {socket}\n"
        f"    tcp-request inspect-delay {max(1, round(delay * 1000))}ms\n"
        "    tcp-request content accept if WAIT_END\n"
        f"    default_backend replicas_tcp_{port}\n"
    )
