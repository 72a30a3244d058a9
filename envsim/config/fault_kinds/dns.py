"""`dns: {name: payments.example.com, answer: nxdomain | servfail | no_answer}`: the target's
lookups of one name get that answer from a real resolver, every other name resolves as before.
`dns: {name: ..., delay: 2s}` instead gives the name its real answer that much later.

For each container of the target a helper joins its network namespace (NET_ADMIN on the helper
only) and runs Debian's dnsmasq on 127.0.0.1:5353 with the faulted name configured, everything
else forwarded to Docker's embedded DNS (127.0.0.11, which exists in that namespace) with the
cache off, so the stack's names and outside names pass through unchanged. An iptables nat rule
of the fault's own sends the container's UDP queries for 127.0.0.11:53 to dnsmasq instead;
dnsmasq's own queries leave from a fixed source port the rule lets by. Only the target's
lookups change: other services keep Docker's resolver. Cleared, the helper removes its rule
and stops dnsmasq; it does so at its time-to-live too, like the link faults' helpers.

dnsmasq cannot hold an answer and the kernel here has no netem to delay packets with, so for a
delay dnsmasq forwards the name to a small forwarder in the helper (Perl, which every Debian
image has) that holds each query for the delay before passing it on to Docker's resolver; its
queries leave from a port of their own that the redirect lets by as well.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from envsim.config.fault_kinds import net_helper
from envsim.config.fault_kinds.kind import FaultContext, FaultKind, FaultTools, StackView
from envsim.config.fault_kinds.net_helper import chain_name
from envsim.errors import Problem
from envsim.units import format_duration, parse_duration

Answer = Literal["nxdomain", "servfail", "no_answer"]

RESOLVER_PORT = 5353  # dnsmasq's port on the container's loopback
QUERY_PORT = 5454  # dnsmasq's source port for forwarded queries: the redirect lets it by
DELAYER_PORT = 5355  # the delaying forwarder's port on the container's loopback
DELAYER_QUERY_PORT = 5455  # its source port for the held queries: the redirect lets it by too
# dnsmasq forgets a forwarded query after about 10 s and the app's resolver gives up after 5 s
# (glibc's default, retried once): a longer delay is no answer at all
MAX_DELAY = 10.0

# dnsmasq options giving each answer for NAME: NXDOMAIN; SERVFAIL (forwarded to a port where
# nothing listens: refused, so dnsmasq fails the query); NOERROR without an address (the name
# exists with a TXT record only)
ANSWER_OPTIONS = {
    "nxdomain": ("--address=/{name}/",),
    "servfail": ("--server=/{name}/127.0.0.1#9",),
    "no_answer": ("--local=/{name}/", "--txt-record={name},envsim"),
}
WHAT_THE_APP_SEES = {
    "nxdomain": "NXDOMAIN (getaddrinfo: name not known)",
    "servfail": "SERVFAIL (getaddrinfo: temporary failure)",
    "no_answer": "no address (getaddrinfo: no address for the name)",
}


@dataclass(frozen=True)
class DnsFault:
    name: str
    answer: Answer | None  # None: the real answer, `delay` seconds late
    delay: float | None = None


@dataclass(frozen=True)
class DnsStep:
    container: str  # whose lookups change
    helper: str  # the helper container's name
    chain: str  # the nat chain holding the redirect
    name: str
    answer: Answer | None
    delay: float | None = None


def build(spec: Mapping[str, Any]) -> tuple[DnsFault, ...]:
    dns = spec.get("dns")
    if not dns:
        return ()
    name = str(dns["name"]).rstrip(".").lower()
    if "delay" in dns:
        return (DnsFault(name, None, parse_duration(dns["delay"])),)
    return (DnsFault(name, dns["answer"]),)


def refs(context: FaultContext) -> list[Problem]:
    dns = context.mode.get("dns")
    delay = parse_duration(dns.get("delay")) if isinstance(dns, Mapping) else None
    if delay is not None and not 0 < delay <= MAX_DELAY:
        return [
            context.problem(
                ("dns", "delay"),
                f"must be more than 0 and at most {format_duration(MAX_DELAY)}: "
                "the app's resolver gives up on a slower answer (use answer: servfail for that)",
            )
        ]
    return []


def what_it_does(answer: Answer | None, delay: float | None) -> str:
    return answer if answer is not None else f"delay {format_duration(delay or 0)}"


def summary(effects: tuple[DnsFault, ...]) -> str:
    return f"DNS {what_it_does(effects[0].answer, effects[0].delay)} for {effects[0].name}"


def plan(fault: str, target: str, effects: tuple[DnsFault, ...], stack: StackView) -> tuple[DnsStep, ...]:
    return tuple(
        DnsStep(
            container, f"{container}-dns-{fault}", chain_name(f"dns-{fault}"), effect.name, effect.answer, effect.delay
        )
        for effect in effects
        for container in stack.containers(target)
    )


def describe(step: DnsStep) -> str:
    if step.answer is None:
        return f"{step.container} resolves {step.name}: its answer {format_duration(step.delay or 0)} late"
    return f"{step.container} resolves {step.name}: {WHAT_THE_APP_SEES[step.answer]}"


# The delaying forwarder: each query from dnsmasq is held DELAY seconds, then sent on to Docker's
# resolver from OUT_PORT; answers go back to dnsmasq as they come. Time is read from
# /proc/uptime (10 ms steps) because Debian's perl-base has no Time::HiRes.
DELAYER = r"""
use strict; use IO::Socket::INET; use IO::Select; use Socket;
my ($delay, $port, $out_port) = @ARGV;
my $in = IO::Socket::INET->new(Proto => "udp", LocalAddr => "127.0.0.1", LocalPort => $port) or die "in: $!";
my $out = IO::Socket::INET->new(Proto => "udp", LocalAddr => "127.0.0.1", LocalPort => $out_port) or die "out: $!";
my $resolver = sockaddr_in(53, inet_aton("127.0.0.11"));
sub now { open(my $f, "<", "/proc/uptime") or die; my ($t) = split(" ", <$f>); return $t; }
my (@held, %asked_by);
my $select = IO::Select->new($in, $out);
while (1) {
    my $wait = @held ? $held[0][0] - now() : undef;
    $wait = 0 if defined($wait) && $wait < 0;
    for my $socket ($select->can_read($wait)) {
        my $from = $socket->recv(my $packet, 4096);
        next unless defined($from) && length($packet) > 2;
        if ($socket == $in) { push(@held, [now() + $delay, $packet]); $asked_by{substr($packet, 0, 2)} = $from; }
        elsif (my $asker = delete $asked_by{substr($packet, 0, 2)}) { $in->send($packet, 0, $asker); }
    }
    $out->send((shift @held)->[1], 0, $resolver) while @held && $held[0][0] <= now();
}
"""


def helper_script(step: DnsStep) -> str:
    """The helper's shell program: dnsmasq (and for a delay the forwarder) up, the redirect in
    place, ready; on SIGTERM or at its time-to-live ($ENVSIM_TTL seconds) the redirect removed
    and the resolvers stopped."""
    chain = step.chain
    lines = [
        "set -u",
        f"unredirect() {{ while iptables -w -t nat -D OUTPUT -j {chain} 2>/dev/null; do :; done; "
        f"iptables -w -t nat -F {chain} 2>/dev/null; iptables -w -t nat -X {chain} 2>/dev/null; }}",
        "delayer=",
        'revert() { unredirect; kill "$resolver" $delayer 2>/dev/null; }',
    ]
    if step.answer is None:
        options = f"--server=/{step.name}/127.0.0.1#{DELAYER_PORT}"
        lines += [
            f"perl -e '{DELAYER.strip()}' {step.delay:g} {DELAYER_PORT} {DELAYER_QUERY_PORT} &",
            "delayer=$!",
        ]
        let_by = f"iptables -w -t nat -A {chain} -p udp --sport {DELAYER_QUERY_PORT} -j RETURN && "
    else:
        options = " ".join(option.format(name=step.name) for option in ANSWER_OPTIONS[step.answer])
        let_by = ""
    lines += [
        f"dnsmasq -k --port={RESOLVER_PORT} --listen-address=127.0.0.1 --bind-interfaces --no-resolv "
        f"--no-hosts --cache-size=0 --server=127.0.0.11 --query-port={QUERY_PORT} {options} &",
        "resolver=$!",
        "sleep 0.2",
        'kill -0 "$resolver" ${delayer:+"$delayer"} || { revert; exit 1; }',
        "unredirect",
        f"iptables -w -t nat -N {chain} && {let_by}iptables -w -t nat -A {chain} -p udp -d 127.0.0.11 --dport 53 "
        f"! --sport {QUERY_PORT} -j DNAT --to-destination 127.0.0.1:{RESOLVER_PORT} "
        f"&& iptables -w -t nat -I OUTPUT 1 -j {chain} || {{ revert; exit 1; }}",
        *net_helper.ready_and_hold(f"dnsmasq {what_it_does(step.answer, step.delay)}"),
    ]
    return "\n".join(lines) + "\n"


def apply(fault: str, step: DnsStep, tools: FaultTools) -> str:
    return net_helper.start(fault, step, helper_script(step), tools)


KIND = FaultKind(
    name="dns",
    keys=("dns",),
    triggers=("dns",),
    effect=DnsFault,
    step=DnsStep,
    build=build,
    refs=refs,
    summary=summary,
    plan=plan,
    describe=describe,
    apply=apply,
    clear=net_helper.clear,
    active=net_helper.active,
)
