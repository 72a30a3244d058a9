"""What the app sent its stubs (calls by route and status, from the journal) and the credential
rotations of the run, as plain rows for the Markdown and HTML reports."""

from __future__ import annotations

from envsim.journal import Journal

# the answers that mean the app did something a provider refuses: no/expired/wrong credential,
# a retired API version, over its quota
CALLED_OUT = {401: "unauthorized", 403: "forbidden", 410: "gone (deprecated version)", 429: "throttled"}


def stub_tables(journal: Journal) -> dict[str, list[tuple[str, str, int, str]]]:
    """stub service -> [(route, status, count, call-out)], from the journal's stub_calls."""
    tables: dict[str, list[tuple[str, str, int, str]]] = {}
    for row in journal.extra.get("stub_calls") or ():
        status = row.get("status")
        tables.setdefault(str(row.get("service")), []).append(
            (str(row.get("route")), "dropped" if status is None else str(status), int(row.get("count", 0)),
             CALLED_OUT.get(status, "")))
    return tables


def rotation_lines(journal: Journal) -> list[str]:
    lines = []
    for r in journal.rotations:
        where = ", ".join([*(f"stub {s}" for s in r.stubs), *(f"file {f}" for f in r.files)]) or "nowhere"
        retired = "" if r.retired is None or abs(r.retired - r.t) < 0.5 else f"; previous value rejected at {r.retired:.1f}s"
        problem = f"; problems: {r.detail}" if r.detail else ""
        lines.append(f"{r.t:.1f}s: {r.credential} rotated ({where}){retired}{problem}")
    return lines
