#!/usr/bin/env python3
"""Run a real ClickHouse server (HTTP + native TCP) in-process via chdb.

Usage:  python chserver.py WORKDIR

Runs in the foreground until a line is written to WORKDIR/stop.fifo.
Once listening, the chosen ports appear in WORKDIR/ports.tsv as
"<http_port>\t<tcp_port>".  Data lives in WORKDIR/data.

chdb only allows one query() call per process, so everything (start the
listeners, publish the ports, block on the FIFO) happens in one multi-statement
call.  Start this with the chdb venv's python (see bench/setup.sh).
"""
import os
import sys


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    work = os.path.abspath(sys.argv[1])
    os.makedirs(os.path.join(work, "data"), exist_ok=True)
    cfg = os.path.join(work, "clickhouse-local.xml")
    with open(cfg, "w") as f:
        f.write(
            "<clickhouse>"
            "<listen_host>127.0.0.1</listen_host>"
            "<http_port>0</http_port>"
            "<tcp_port>0</tcp_port>"
            "</clickhouse>\n"
        )
    fifo = os.path.join(work, "stop.fifo")
    if not os.path.exists(fifo):
        os.mkfifo(fifo)
    ports = os.path.join(work, "ports.tsv")
    if os.path.exists(ports):
        os.unlink(ports)
    # chdb picks clickhouse-local.xml up from the current directory.
    os.chdir(work)

    import chdb._chdb as chdb_native  # imported late: heavy

    sql = (
        "SYSTEM START LISTEN HTTP; SYSTEM START LISTEN TCP; "
        f"SELECT getServerPort('http_port'), getServerPort('tcp_port') "
        f"INTO OUTFILE '{ports}' FORMAT TSV; "
        f"SELECT count() FROM file('{fifo}', 'LineAsString')"
    )
    chdb_native.query(sql, "TSV", path=os.path.join(work, "data"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
