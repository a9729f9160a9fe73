"""The Dask door: only tcp addresses or a Client; a peer that is not a Dask scheduler is
refused within the budget, before Dask reads a byte from it."""

import socket
import threading
import time

import pytest

from symgrad.errors import ProblemError
from symgrad.runtime.budget import Budget
from symgrad.teaching.cluster import check_scheduler, probe
from symgrad.teaching.grade import grade

KEY = {"question": [{"id": "q", "loss": "w^2", "wrt": ["w"]}]}
ANSWERS = [{"student": "a", "question": "q", "answer": "2w"}]


@pytest.mark.parametrize(
    "address, message",
    [
        ("ucx://10.0.0.1:8786", "ucx:// is not supported"),
        ("tls://10.0.0.1:8786", "tls:// needs certificates"),
        ("inproc://1/2/3", "inproc://"),
        ("ws://h:1", "tcp:// address"),
        ("tcp://host", "not an address"),
        ("tcp://host:99999", "not an address"),
        ("host:port", "not an address"),
        ("", "not an address"),
    ],
)
def test_other_protocols_and_broken_addresses_are_refused(address, message):
    with pytest.raises(ProblemError, match=message):
        check_scheduler(address)


@pytest.mark.parametrize("scheduler", [5, 2.5, ["tcp://h:1"], b"tcp://h:1", object()])
def test_a_scheduler_of_the_wrong_kind_is_a_symgrad_error(scheduler):
    with pytest.raises(ProblemError, match="scheduler must be"):
        grade(KEY, ANSWERS, scheduler=scheduler)


class _Server:
    """A local TCP server that greets each connection with ``greeting`` (or stays silent)."""

    def __init__(self, greeting: bytes | None) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen()
        self.greeting = greeting
        self.connections = []
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def address(self) -> str:
        return "tcp://127.0.0.1:%d" % self.socket.getsockname()[1]

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.connections.append(connection)
            if self.greeting:
                connection.sendall(self.greeting)

    def close(self) -> None:
        self.socket.close()
        for connection in self.connections:
            connection.close()


@pytest.mark.parametrize(
    "greeting, reason",
    [
        (b"HTTP/1.1 400 Bad Request\r\n\r\n", "does not greet"),  # 'HTTP/1.1' is 3 EiB as a length
        (b"\x00" * 8, "does not greet"),
        ((50).to_bytes(8, "little") + b"x" * 50, "unknown greeting"),
        (None, "no answer in time"),
    ],
)
def test_a_server_that_is_not_a_dask_scheduler_is_refused_in_time(greeting, reason):
    server = _Server(greeting)
    start = time.monotonic()
    try:
        with pytest.raises(ProblemError, match=reason):
            probe(server.address, Budget(1.0))
    finally:
        server.close()
    assert time.monotonic() - start < 3


def test_a_closed_port_and_an_unknown_host_are_refused():
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        port = probe_socket.getsockname()[1]
    with pytest.raises(ProblemError, match="no Dask scheduler answers"):
        probe(f"tcp://127.0.0.1:{port}", Budget(2))
    with pytest.raises(ProblemError, match="no Dask scheduler answers"):
        probe("tcp://no-such-host.invalid:8786", Budget(2))


def test_grade_refuses_a_web_server_as_scheduler_without_reading_the_key(tmp_path):
    server = _Server(b"HTTP/1.1 200 OK\r\n\r\n")
    start = time.monotonic()
    try:
        with pytest.raises(ProblemError, match="no Dask scheduler"):
            grade(KEY, ANSWERS, scheduler=server.address, timeout=5)
    finally:
        server.close()
    assert time.monotonic() - start < 5


@pytest.mark.slow
def test_a_real_scheduler_passes_the_probe_and_grades():
    from dask.distributed import LocalCluster

    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None,
        protocol="tcp://", host="127.0.0.1",
    ) as cluster:  # fmt: skip
        probe(cluster.scheduler_address, Budget(10))
        rows, _ = grade(KEY, ANSWERS, scheduler=cluster.scheduler_address, timeout=60)
    assert rows[0].verdict == "correct"
