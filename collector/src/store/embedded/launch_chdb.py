"""Serve ClickHouse's HTTP and native protocols from the chdb engine.

Started by the Jamscope collector (store/embedded) with its working directory
holding clickhouse-local.xml (listen address and ports). It writes the bound
ports to ports.tsv, then blocks on a FIFO; a line written there, standard
input closing (the collector went away) or SIGTERM stops the server cleanly.
"""
import os
import signal
import sys
import threading

import chdb._chdb as engine

data_dir = sys.argv[1]
workdir = os.getcwd()
fifo = os.path.join(workdir, "stop.fifo")
ports_file = os.path.join(workdir, "ports.tsv")

for stale in (fifo, ports_file):
    if os.path.exists(stale):
        os.remove(stale)
os.mkfifo(fifo)

stopping = threading.Lock()


def stop(*_args):
    # Opening the FIFO for writing waits until the blocking SELECT reads it.
    if stopping.acquire(blocking=False):
        with open(fifo, "w") as f:
            f.write("stop\n")


def stop_when_stdin_closes():
    sys.stdin.read()
    stop()


threading.Thread(target=stop_when_stdin_closes, daemon=True).start()
signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=stop, daemon=True).start())

# chdb runs only one query() per process, so everything is one statement list.
result = engine.query(
    "SYSTEM START LISTEN HTTP; SYSTEM START LISTEN TCP; "
    "SELECT getServerPort('http_port'), getServerPort('tcp_port') "
    f"INTO OUTFILE '{ports_file}' FORMAT TSV; "
    f"SELECT count() FROM file('{fifo}', 'LineAsString')",
    "TSV",
    path=data_dir,
)
error = result.error_message()
if error:
    print(error, file=sys.stderr, flush=True)
    sys.exit(1)
