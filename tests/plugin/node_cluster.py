#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Two ThermoGuard nodes (two Orthanc processes) sharing one PostgreSQL index and one storage folder.

usage: node_cluster.py PLUGIN.so THERMOGUARD_CLI PHANTOM_MATRICES SNIPPET.json DEMO_MODEL.tgm

Exits 77 (ctest: skipped) when Debian's orthanc-postgresql or a PostgreSQL server is not installed.
A throw-away PostgreSQL cluster runs as user postgres on a random loopback port (trust auth, fsync
off). Node A and node B load the PostgreSQL index plugin (Lock false, 2 connections) and the
ThermoGuard plugin with the demo model. For each of 6 fresh series (uploaded to A), an analyze
request is sent to A and to B at the same moment: both nodes see no result, so without a
cluster-wide claim both would write an SR. Required: exactly one SR per series, SRCreated summed
over both nodes = 6, and every series' claim ends "released" by the node that wrote its SR.
Then 3 series are each split over DICOM (storescu of 2 views to A and 2 views to B at the same
time, StableAge 3): both nodes get their own StableSeries event -> again one SR per series, made
from all 4 views.
The number of races the claim decided (ClaimedElsewhere) is printed, not asserted: it depends on
timing.
"""
import glob
import json
import os
import pwd
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import orthanc_harness as H  # noqa: E402
from orthanc_harness import check  # noqa: E402

PLUGIN, CLI, PHANTOM, SNIPPET, MODEL = (os.path.abspath(a) for a in sys.argv[1:6])
PG_INDEX = sorted(glob.glob("/usr/lib/orthanc/libOrthancPostgreSQLIndex.so*"))
PG_BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
SERIES = 6  # sent through REST, analyze requested on both nodes at once
SPLIT = 3   # sent over DICOM, 2 views to each node: a StableSeries event on both
TMP = tempfile.mkdtemp(prefix="tg_node_cluster_")
nodes = [None, None]
procs = []


def as_postgres(cmd, **kw):
    return subprocess.run(["runuser", "-u", "postgres", "--"] + cmd, capture_output=True, text=True, **kw)


def start_postgres():
    os.chmod(TMP, 0o755)
    pg = pwd.getpwnam("postgres")
    data, sock = os.path.join(TMP, "pgdata"), os.path.join(TMP, "pgsock")
    for d in (data, sock):
        os.makedirs(d)
        os.chown(d, pg.pw_uid, pg.pw_gid)
    r = as_postgres([os.path.join(PG_BIN[-1], "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "--no-sync"],
                    timeout=120)
    if r.returncode != 0:
        raise SystemExit("initdb failed: %s" % r.stderr[-800:])
    port = H.free_port()
    procs.append(H.spawn(["runuser", "-u", "postgres", "--", os.path.join(PG_BIN[-1], "postgres"), "-D", data,
                          "-p", str(port), "-k", sock, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
                         os.path.join(TMP, "postgres.log")))
    deadline = time.time() + 60
    while time.time() < deadline:
        r = as_postgres([os.path.join(PG_BIN[-1], "createdb"), "-h", "127.0.0.1", "-p", str(port), "orthanc"])
        if r.returncode == 0:
            return port
        time.sleep(0.3)
    raise SystemExit("PostgreSQL did not accept connections: %s" % open(os.path.join(TMP, "postgres.log")).read())


def analyze_both(sid):
    """The analyze request reaches both nodes at the same moment."""
    barrier = threading.Barrier(2)
    codes = [None, None]

    def run(i):
        barrier.wait()
        codes[i] = nodes[i].http("POST", "/thermoguard/series/%s/analyze" % sid, "")[0]
    ts = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout=60)
    return codes


def main():
    port = start_postgres()
    section = json.load(open(SNIPPET))["ThermoGuard"]
    sha = subprocess.run(["sha256sum", MODEL], capture_output=True, text=True, check=True).stdout.split()[0]
    section.update({"Models": [{"Name": "demo", "Version": "demo", "Path": MODEL, "SHA256": sha}],
                    "ActiveModel": "demo"})
    storage = os.path.join(TMP, "storage")
    pg = {"EnableIndex": True, "EnableStorage": False, "Host": "127.0.0.1", "Port": port, "Database": "orthanc",
          "Username": "postgres", "Password": "", "Lock": False, "IndexConnectionsCount": 2}
    for i, name in enumerate(("a", "b")):
        # StableAge 3: both halves of a split series are stored before either node's event fires.
        nodes[i] = H.Orthanc(TMP, PLUGIN, SNIPPET, name, section=section, storage=storage,
                             extra={"PostgreSQL": pg, "Plugins": [PG_INDEX[-1], PLUGIN],
                                    "StableAge": 3}).start(timeout=90)
        st = nodes[i].status()
        if not check(st["Enabled"], "node %s not enabled: %s" % (name, st.get("Reason"))):
            return
    a, b = nodes
    check(a.status()["NodeId"] != b.status()["NodeId"], "both nodes report the same NodeId")

    template = H.make_series(TMP, PHANTOM, CLI, "template", 41)
    sids = []
    for k in range(SERIES):
        files = H.clone_series(template, os.path.join(TMP, "s%d" % k), k)
        for f in files:
            check(a.http("POST", "/instances", open(f, "rb").read())[0] == 200, "POST /instances to node A")
        sid = a.series_id(files[0])
        check(sid is not None and b.series_id(files[0]) == sid, "series %d not visible on both nodes" % k)
        check(analyze_both(sid) == [200, 200], "analyze requests to A and B for series %d" % k)
        sids.append(sid)
    # A series split between the nodes over DICOM: each node fires its own StableSeries for it.
    for k in range(SPLIT):
        files = H.clone_series(template, os.path.join(TMP, "split%d" % k), SERIES + k)
        senders = [threading.Thread(target=n.storescu, args=(part,)) for n, part in ((a, files[:2]), (b, files[2:]))]
        for t in senders:
            t.start()
        for t in senders:
            t.join(timeout=120)
        sids.append(a.series_id(files[0]))
    for k, sid in enumerate(sids):
        r = a.wait_result(sid, timeout=90) if sid else None
        check(r is not None and r["Status"] == "done" and r["InstancesUsed"] == 4,
              "series %d: no result from all 4 views: %s" % (k, r))
    for n in nodes:
        n.wait_idle(60)
    writers = {a.status()["NodeId"]: "A", b.status()["NodeId"]: "B"}
    for k, sid in enumerate(sids):
        check(a.sr_count(sid) == 1, "series %d: %d SRs in its study, want exactly 1" % (k, a.sr_count(sid)))
        claim = a.http("GET", "/series/%s/metadata/ThermoGuardClaim" % sid)[1]
        claim = claim.decode().split() if isinstance(claim, bytes) else []
        check(len(claim) == 3 and claim[0] in writers and claim[2] == "released",
              "series %d: claim %s is not a released claim of A or B" % (k, claim))
    ca, cb = a.status()["Counters"], b.status()["Counters"]
    check(ca["SRCreated"] + cb["SRCreated"] == SERIES + SPLIT, "SRCreated A %d + B %d, want %d"
          % (ca["SRCreated"], cb["SRCreated"], SERIES + SPLIT))
    check(ca["Failed"] + cb["Failed"] == 0, "failures: A %d, B %d" % (ca["Failed"], cb["Failed"]))
    for n in nodes:
        n.system_ok("after the shared-index runs")
        n.stop(timeout=30)
    print("node cluster: %d + %d split series, SRs written by A %d / B %d, races decided by the claim (ClaimedElsewhere) "
          "A %d / B %d, found current after the other's SR A %d / B %d"
          % (SERIES, SPLIT, ca["SRCreated"], cb["SRCreated"], ca["ClaimedElsewhere"], cb["ClaimedElsewhere"],
             ca["AlreadyCurrent"], cb["AlreadyCurrent"]), flush=True)


if __name__ == "__main__":
    if not PG_INDEX or not PG_BIN or subprocess.run(["id", "postgres"], capture_output=True).returncode != 0:
        print("SKIP: orthanc-postgresql or a PostgreSQL server (user postgres) is not installed")
        sys.exit(77)
    H.run_test(main, TMP, lambda: nodes, lambda: procs)
