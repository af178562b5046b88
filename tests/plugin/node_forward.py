#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Forwarding of the result SR to DICOM modalities and Orthanc peers, against real peers on loopback.

usage: node_forward.py PLUGIN.so THERMOGUARD_CLI PHANTOM_MATRICES SNIPPET.json

Targets (random free ports): "fwd", a DCMTK storescp that is up from the start; "late", a
storescp that is down at first; "peer", a second Orthanc (no plugin) declared in OrthancPeers.
ForwardRetrySeconds 1, ForwardMaxRetrySeconds 4.

1. A 4-view series is sent with storescu -> its SR arrives at "fwd" (same SOP Instance UID,
   Modality SR) and at "peer"; the send to "late" fails and is listed at /thermoguard/status
   (State retrying, an error text, Attempts growing, BackoffSeconds = min(2^(Attempts-1), 4)).
2. A forced re-analysis makes a second SR while "late" is still down: "fwd" and "peer" get it too.
3. "late" comes up -> it receives exactly the current SR (the superseded first one is dropped,
   not sent), the failure list empties and ForwardedAfterRetry counts it.
4. Nothing else leaves the node: each target holds only SRs of that series (never the
   thermograms); a foreign SR series sent to the node (standing in for any SR the node did not
   record as a result, e.g. an audit SR) and the node's own SR series are ignored, not forwarded.
5. With a target down and a send pending, Orthanc stops cleanly on SIGTERM.
6. A second node with ForwardMaxAttempts 2: the send is "abandoned" (no next attempt); once the
   target is up, POST /thermoguard/forward/retry re-arms it and the SR arrives.
The log never carries the patient name or id. Every process is killed at the end.
"""
import os
import sys
import tempfile
import time
import uuid

import pydicom

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import orthanc_harness as H  # noqa: E402
from orthanc_harness import check  # noqa: E402

PLUGIN, CLI, PHANTOM, SNIPPET = (os.path.abspath(a) for a in sys.argv[1:5])
TMP = tempfile.mkdtemp(prefix="tg_node_fwd_")
node = peer = None
procs = []


def start_scp(aet, port, name):
    d = os.path.join(TMP, name)
    os.makedirs(d, exist_ok=True)
    p = H.spawn(["storescp", "-aet", aet, "-od", d, str(port)], os.path.join(TMP, name + ".log"))
    procs.append(p)
    return p, d


def received(d):
    """SOP Instance UID -> Modality of the complete files storescp wrote into d."""
    out = {}
    for f in sorted(os.listdir(d)):
        try:
            ds = pydicom.dcmread(os.path.join(d, f), stop_before_pixels=True)
            out[ds.SOPInstanceUID] = ds.get("Modality")
        except Exception:  # noqa: BLE001 -- a file still being written; read again next poll
            pass
    return out


def wait_for(pred, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.2)
    H.fail("timed out after %d s waiting for %s" % (timeout, what))
    return None


def failures_for(sr, target):
    return [f for f in node.status()["ForwardFailures"] if f["SRInstance"] == sr and f["Target"] == target]


def peer_sops():
    out = {}
    for iid in peer.http("GET", "/instances")[1]:
        tags = peer.http("GET", "/instances/%s/simplified-tags" % iid)[1]
        out[tags["SOPInstanceUID"]] = tags.get("Modality")
    return out


def sr_uid(instance_id):
    return node.http("GET", "/instances/%s/simplified-tags" % instance_id)[1]["SOPInstanceUID"]


def main():
    global node, peer
    t0 = time.time()
    fwd_port, late_port = H.free_port(), H.free_port()
    _, fwd_dir = start_scp("TGFWD1", fwd_port, "fwd")
    late_dir = os.path.join(TMP, "late")
    peer = H.Orthanc(TMP, PLUGIN, SNIPPET, "peer", storage=os.path.join(TMP, "peer-storage"),
                     extra={"Plugins": [], "DicomAet": "TGPEER"}).start()
    import json
    section = json.load(open(SNIPPET))["ThermoGuard"]
    section.update({"Forward": [{"Modality": "fwd"}, {"Modality": "late"}, {"Peer": "peer"}],
                    "ForwardRetrySeconds": 1, "ForwardMaxRetrySeconds": 4, "ForwardMaxAttempts": 1000})
    node = H.Orthanc(TMP, PLUGIN, SNIPPET, "node", section=section,
                     modalities={"fwd": ["TGFWD1", "127.0.0.1", fwd_port], "late": ["TGFWD2", "127.0.0.1", late_port]},
                     extra={"OrthancPeers": {"peer": ["http://127.0.0.1:%d/" % peer.http_port]}}).start()
    st = node.status()
    if not check(st["Enabled"], "plugin not enabled: %s" % st.get("Reason")):
        return

    # 1. first SR: delivered to "fwd" and "peer", retried with backoff for "late".
    files = H.make_series(TMP, PHANTOM, CLI, "series", 11)
    node.storescu(files)
    sid = node.series_id(files[0])
    res = node.wait_result(sid, timeout=60) if sid else None
    if not check(res is not None and res["Status"] == "done", "no SR for the series: %s" % res):
        return
    sr1 = res["SRInstance"]
    uid1 = sr_uid(sr1)
    got = wait_for(lambda: uid1 in received(fwd_dir), 60, "SR at storescp 'fwd'")
    check(got and received(fwd_dir) == {uid1: "SR"}, "'fwd' received %s, want only the SR %s" % (received(fwd_dir), uid1))
    wait_for(lambda: uid1 in peer_sops(), 60, "SR at the Orthanc peer")
    check(peer_sops() == {uid1: "SR"}, "peer holds %s, want only the SR %s" % (peer_sops(), uid1))

    f = wait_for(lambda: [x for x in failures_for(sr1, "late") if x["Attempts"] >= 3], 60,
                 "3 failed attempts towards 'late' in /thermoguard/status")
    if f:
        f = f[0]
        check(f["State"] in ("retrying", "sending") and f["TargetType"] == "Modality" and f["Series"] == sid,
              "failure entry: %s" % f)
        check("late" in f["Error"] and len(f["Error"]) > 10, "failure entry has no useful error: %s" % f)
        check(f["BackoffSeconds"] == min(2 ** (f["Attempts"] - 1), 4),
              "backoff after %d attempts is %s s, want %s" % (f["Attempts"], f["BackoffSeconds"],
                                                              min(2 ** (f["Attempts"] - 1), 4)))
    c = node.status()["Counters"]
    check(c["ForwardFailed"] >= 3 and c["Forwarded"] >= 2 and c["ForwardPending"] >= 1,
          "counters after phase 1: %s" % c)
    node.system_ok("while a forwarding target is down")

    # 2. forced re-analysis while "late" is down: a second SR, sent to the reachable targets.
    check(node.http("POST", "/thermoguard/series/%s/analyze" % sid, '{"Force": true}')[0] == 200, "forced analyze")
    res2 = node.wait_result(sid, timeout=60, predicate=lambda r: r["SRInstance"] != sr1)
    if not check(res2 is not None and res2["Status"] == "done", "no second SR after Force: %s" % res2):
        return
    sr2 = res2["SRInstance"]
    uid2 = sr_uid(sr2)
    wait_for(lambda: uid2 in received(fwd_dir), 60, "second SR at 'fwd'")
    wait_for(lambda: uid2 in peer_sops(), 60, "second SR at the peer")
    wait_for(lambda: failures_for(sr2, "late"), 60, "the second SR failing towards 'late'")

    # 3. "late" comes up: only the current SR arrives, the superseded one is dropped.
    start_scp("TGFWD2", late_port, "late")
    wait_for(lambda: uid2 in received(late_dir), 60, "the current SR at 'late' once it is up")
    wait_for(lambda: not node.status()["ForwardFailures"], 60, "the failure list to empty")
    check(received(late_dir) == {uid2: "SR"}, "'late' received %s, want only the current SR %s"
          % (received(late_dir), uid2))
    c = node.status()["Counters"]
    check(c["ForwardedAfterRetry"] >= 1 and c["ForwardPending"] == 0 and c["Forwarded"] == 5,
          "counters after delivery: %s (want Forwarded 5 = 2 fwd + 2 peer + 1 late)" % c)

    # 4. nothing but result SRs leaves: foreign SR series and the node's own SR series are ignored.
    foreign = os.path.join(TMP, "foreign_sr.dcm")
    node.fetch(sr1, foreign)
    ds = pydicom.dcmread(foreign)
    ds.SeriesInstanceUID = "2.25.%d" % uuid.uuid4().int
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = "2.25.%d" % uuid.uuid4().int
    ds.save_as(foreign)
    node.storescu([foreign])
    foreign_sid = node.series_id(foreign)
    own_sid = res2["SRSeries"]
    for s in (foreign_sid, own_sid):
        check(node.http("POST", "/thermoguard/series/%s/analyze" % s, "")[0] == 200, "analyze %s" % s)
    for s in (foreign_sid, own_sid):
        wait_for(lambda: ("series %s: ignored (structured report)" % s) in node.log(), 60,
                 "series %s ignored as a structured report" % s)
    node.wait_idle(30)
    check(set(received(fwd_dir)) == {uid1, uid2} and set(received(late_dir)) == {uid2}
          and set(peer_sops()) == {uid1, uid2},
          "targets hold more than the result SRs: fwd %s late %s peer %s"
          % (received(fwd_dir), received(late_dir), peer_sops()))
    thermograms = {pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID for p in files}
    check(not thermograms & (set(received(fwd_dir)) | set(received(late_dir)) | set(peer_sops())),
          "a source thermogram was forwarded")
    log = node.log()
    check("Synthetic^Test" not in log and "SYN-00011" not in log, "the log carries the patient name or id")

    # 5. a send pending towards a target that is down: SIGTERM still stops Orthanc at once.
    H.kill_group(procs[-1])
    check(node.http("POST", "/thermoguard/series/%s/analyze" % sid, '{"Force": true}')[0] == 200, "forced analyze")
    res3 = node.wait_result(sid, timeout=60, predicate=lambda r: r["SRInstance"] not in (sr1, sr2))
    if res3:
        wait_for(lambda: failures_for(res3["SRInstance"], "late"), 60, "the third SR failing towards 'late'")
    node.stop(timeout=30)
    peer.stop(timeout=30)

    # 6. attempts exhausted -> "abandoned"; POST /thermoguard/forward/retry re-arms it once the target is up.
    section.update({"Forward": [{"Modality": "late"}], "ForwardRetrySeconds": 1, "ForwardMaxRetrySeconds": 1,
                    "ForwardMaxAttempts": 2})
    node = H.Orthanc(TMP, PLUGIN, SNIPPET, "node2", section=section, storage=os.path.join(TMP, "storage2"),
                     modalities={"late": ["TGFWD2", "127.0.0.1", late_port]}).start()
    node.storescu(files)
    sid = node.series_id(files[0])
    res = node.wait_result(sid, timeout=60) if sid else None
    if not check(res is not None and res["Status"] == "done", "node2: no SR: %s" % res):
        return
    f = wait_for(lambda: [x for x in failures_for(res["SRInstance"], "late") if x["State"] == "abandoned"], 60,
                 "the send to 'late' to be abandoned after 2 attempts")
    if f:
        check(f[0]["Attempts"] == 2 and "NextAttemptInSeconds" not in f[0], "abandoned entry: %s" % f[0])
    _, late_dir2 = start_scp("TGFWD2", late_port, "late2")
    status, body = node.http("POST", "/thermoguard/forward/retry", "")
    check(status == 200 and body == {"Retrying": 1}, "forward/retry answered %s %s" % (status, body))
    uid = sr_uid(res["SRInstance"])
    wait_for(lambda: uid in received(late_dir2), 60, "the abandoned SR delivered after forward/retry")
    wait_for(lambda: not node.status()["ForwardFailures"], 60, "the failure list to empty after the retry")
    check(node.http("GET", "/thermoguard/forward/retry")[0] == 405, "GET forward/retry is not 405")
    node.stop(timeout=30)
    print("node forward: SR delivered to storescp, peer and a late storescp after retries; abandoned send "
          "re-armed by REST; test %.1f s" % (time.time() - t0), flush=True)


if __name__ == "__main__":
    H.run_test(main, TMP, lambda: [node, peer], lambda: procs)
