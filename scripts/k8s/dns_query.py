"""Asks a DNS server for a name's A records over UDP and prints them; exit 0 if there is one.

Usage: python3 dns_query.py SERVER NAME. Standard library only, so the cluster check needs no
DNS tools on the host.
"""

import secrets
import socket
import struct
import sys


def build_query(name: str) -> tuple[int, bytes]:
    query_id = secrets.randbelow(0x10000)
    header = struct.pack(">HHHHHH", query_id, 0x0100, 1, 0, 0, 0)  # recursion desired, 1 question
    labels = b"".join(bytes([len(part)]) + part.encode() for part in name.rstrip(".").split("."))
    return query_id, header + labels + b"\x00" + struct.pack(">HH", 1, 1)  # type A, class IN


def skip_name(message: bytes, offset: int) -> int:
    while message[offset] != 0:
        if message[offset] & 0xC0 == 0xC0:  # compression pointer ends the name
            return offset + 2
        offset += message[offset] + 1
    return offset + 1


def a_records(message: bytes, query_id: int) -> list[str]:
    answer_id, flags, questions, answers = struct.unpack(">HHHH", message[:8])
    if answer_id != query_id or flags & 0x000F:  # another reply, or an error rcode
        return []
    offset = 12
    for _ in range(questions):
        offset = skip_name(message, offset) + 4
    addresses = []
    for _ in range(answers):
        offset = skip_name(message, offset)
        record_type, _, _, length = struct.unpack(">HHIH", message[offset : offset + 10])
        offset += 10
        if record_type == 1 and length == 4:
            addresses.append(socket.inet_ntoa(message[offset : offset + 4]))
        offset += length
    return addresses


def main() -> int:
    server, name = sys.argv[1], sys.argv[2]
    query_id, query = build_query(name)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2)
        try:
            sock.sendto(query, (server, 53))
            addresses = a_records(sock.recv(4096), query_id)
        except OSError as error:
            print(f"no answer from {server}: {error}", file=sys.stderr)
            return 1
    print(" ".join(addresses))
    return 0 if addresses else 1


if __name__ == "__main__":
    sys.exit(main())
