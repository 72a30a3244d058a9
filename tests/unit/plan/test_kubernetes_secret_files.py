"""Secret files on Kubernetes: a file alone is mounted with subPath; a directory holding a
rotating credential's file is mounted whole from the Secret, so the kubelet refreshes it."""

from __future__ import annotations

from envsim.plan.kubernetes_pods import secret_directories, secret_file_layout


def test_a_file_of_a_credential_that_never_rotates_is_mounted_alone():
    mounts, volumes = secret_file_layout((("db_password", "/etc/app/db_password"),), frozenset())
    assert mounts == [
        {"name": "envsim-credentials", "mountPath": "/etc/app/db_password", "subPath": "db_password", "readOnly": True}
    ]
    assert [v["name"] for v in volumes] == ["envsim-credentials"]
    assert not secret_directories(volumes)


def test_the_directory_of_a_rotating_file_is_mounted_whole_with_every_secret_file_in_it():
    files = (("tok", "/run/secrets/payments_token"), ("key", "/run/secrets/key"), ("db", "/etc/app/db"))
    mounts, volumes = secret_file_layout(files, frozenset({"tok"}))
    assert {"name": "envsim-secret-dir-0", "mountPath": "/run/secrets", "readOnly": True} in mounts
    assert [m["mountPath"] for m in mounts if "subPath" in m] == ["/etc/app/db"]
    (directory,) = [v for v in volumes if v["name"] == "envsim-secret-dir-0"]
    assert directory["secret"]["secretName"] == "envsim-credentials"
    assert directory["secret"]["items"] == [
        {"key": "tok", "path": "payments_token"},
        {"key": "key", "path": "key"},
    ]
    assert secret_directories(volumes)  # the pod then mounts no service account token under /var/run/secrets


def test_a_rotating_file_near_the_root_keeps_its_own_mount_and_the_run_is_refused_elsewhere():
    mounts, volumes = secret_file_layout((("tok", "/app/token"),), frozenset({"tok"}))
    assert [m.get("subPath") for m in mounts] == ["tok"]
    assert not secret_directories(volumes)
