#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end test of the ThermoGuard Orthanc plugin against a real Orthanc on loopback.

usage: node_test.py PLUGIN.so THERMOGUARD_CLI PHANTOM_MATRICES SNIPPET.json CHECK_SR.py MODEL_HELPER

Phase 1: a bad "ThermoGuard" section -> plugin disabled, Orthanc still serves /system, the reason is
at /thermoguard/status, a TG series sent meanwhile is not analysed. Phase 2: the shipped snippet on
the same storage -> the start-up scan analyses that series; then end to end (storescu -> SR ->
dciodvfy/dcentvfy/pydicom content check), idempotence (re-send, re-analyse -> one SR; Force -> a
second SR referencing the first), a non-TG series ignored, a series with corrupt and over-limit
instances analysed from its good images, REST errors, Prometheus metrics. Phase 3: two real
(random-weight) models pinned by SHA-256, a tiny queue and one worker: the start-up scan re-analyses
with the model (new SRs referencing the old ones), probabilities and detector scores equal what
the model gives for the same files (MODEL_HELPER predict), model SHA-256 / synthetic caveat /
detector rows in the SR; a REST model switch gives a second SR referencing the first; an unknown
name or a file whose hash no longer matches -> 4xx and the previous model stays active; deferral
under load. Phase 4: a pinned hash that does not match -> plugin disabled. Phase 5: a model Path
that names a FIFO -> plugin disabled at once (start-up once blocked there). Orthanc must answer
/system throughout and is always killed at the end.
"""
import copy
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid

import pydicom

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import orthanc_harness as H  # noqa: E402
from orthanc_harness import check, fail, failures  # noqa: E402,F401

PLUGIN, CLI, PHANTOM, SNIPPET, CHECK_SR, HELPER = (os.path.abspath(a) for a in sys.argv[1:7])
TMP = tempfile.mkdtemp(prefix="tg_node_test_")
node = None       # the running H.Orthanc
log_path = None


def http(method, path, body=None, timeout=10):
    return node.http(method, path, body, timeout)


def system_ok(where):
    return node.system_ok(where)


def start_orthanc(name, section):
    """Starts Orthanc on fresh random ports with the snippet (optionally with its section replaced)."""
    global node, log_path
    node = H.Orthanc(TMP, PLUGIN, SNIPPET, name, section=section)
    log_path = node.log_path
    node.start(timeout=30)


def stop_orthanc():
    node.stop(timeout=20)


def make_series(name, patient, modality="TG"):
    return H.make_series(TMP, PHANTOM, CLI, name, patient, modality)


def storescu(files):
    node.storescu(files, timeout=60)


def series_id(path):
    return node.series_id(path)


def wait_result(sid, timeout=60, predicate=lambda r: True):
    return node.wait_result(sid, timeout, predicate)


def wait_idle(timeout=30):
    return node.wait_idle(timeout)


def sr_series_in_study(sid):
    return node.sr_series_in_study(sid)


def fetch(instance_id, name):
    return node.fetch(instance_id, os.path.join(TMP, name))


def validate_sr(sr_path, sources, expect):
    H.validate_sr(sr_path, sources, expect, CHECK_SR)


def main():
    t_start = time.time()
    # ---- phase 1: invalid configuration -> disabled, Orthanc unaffected ----
    bad = copy.deepcopy(json.load(open(SNIPPET))["ThermoGuard"])
    bad["Bogus"] = 1
    start_orthanc("bad", bad)
    system_ok("with a bad configuration")
    status, st = http("GET", "/thermoguard/status")
    check(status == 200 and st["Enabled"] is False and "Bogus" in (st["Reason"] or ""),
          "disabled status/reason: %s" % st)
    check("plugin DISABLED" in open(log_path).read(), "no log line for the disabled plugin")
    pending = make_series("pending", 1)
    storescu(pending)
    time.sleep(3)
    sid_pending = series_id(pending[0])
    check(sid_pending is not None, "series not stored while disabled")
    check(http("GET", "/thermoguard/series/%s/result" % sid_pending)[0] == 404, "a disabled node analysed a series")
    check(http("POST", "/thermoguard/series/%s/analyze" % sid_pending, "")[0] == 503, "analyze while disabled")
    stop_orthanc()

    # ---- phase 2: the shipped snippet; the start-up scan picks up the pending series ----
    start_orthanc("good", None)
    status, st = http("GET", "/thermoguard/status")
    check(status == 200 and st["Enabled"] is True, "plugin not enabled with the shipped snippet: %s" % st)
    res = wait_result(sid_pending)
    check(res is not None and res["Status"] == "done", "start-up scan did not analyse the pending series: %s" % res)

    # End to end: a 4-view series -> SR in the same study, valid, placeholder content.
    files = make_series("e2e", 2)
    t0 = time.time()
    storescu(files)
    sid = series_id(files[0])
    res = wait_result(sid)
    e2e_seconds = time.time() - t0
    if check(res is not None and res["Status"] == "done", "no SR for the end-to-end series: %s" % res):
        check(res["Placeholder"] is True and "placeholder" in res["Summary"], "result not labelled placeholder")
        check(res["InstancesUsed"] == 4 and not res["InstancesRejected"], "used/rejected: %s" % res)
        sr = fetch(res["SRInstance"], "e2e_sr.dcm")
        validate_sr(sr, files, "L=0.5,R=0.5,threshold=0.5,placeholder=1")
        check(len(sr_series_in_study(sid)) == 1, "expected one SR series")
    system_ok("after the end-to-end series")

    # Idempotence: re-send the same series and ask again without Force -> still one SR.
    storescu(files)
    time.sleep(2.5)
    check(http("POST", "/thermoguard/series/%s/analyze" % sid, "{}")[0] == 200, "analyze request")
    wait_idle()
    srs = sr_series_in_study(sid)
    n_sr = sum(len(s["Instances"]) for s in srs)
    check(n_sr == 1, "re-send/re-analyse created %d SR instances (want 1)" % n_sr)
    check(http("GET", "/thermoguard/status")[1]["Counters"]["AlreadyCurrent"] >= 1, "AlreadyCurrent counter")
    # Forced re-analysis -> a second SR that references the first as predecessor.
    first_uid = res["SRSOPInstanceUID"] if res else None
    first_sr = res["SRInstance"] if res else None
    check(http("POST", "/thermoguard/series/%s/analyze" % sid, '{"Force": true}')[0] == 200, "forced analyze")
    res2 = wait_result(sid, predicate=lambda r: r.get("SRInstance") != first_sr)
    if check(res2 is not None and res2.get("Predecessor") == first_sr, "forced re-analysis: %s" % res2):
        sr2 = fetch(res2["SRInstance"], "e2e_sr2.dcm")
        validate_sr(sr2, files, "L=0.5,R=0.5,threshold=0.5,placeholder=1,predecessor=%s" % first_uid)

    # A non-thermography series is ignored.
    ot = make_series("ot", 3, modality="OT")
    ignored_before = http("GET", "/thermoguard/status")[1]["Counters"]["Ignored"]
    storescu(ot)
    sid_ot = series_id(ot[0])
    deadline = time.time() + 15
    while time.time() < deadline and http("GET", "/thermoguard/status")[1]["Counters"]["Ignored"] == ignored_before:
        time.sleep(0.25)
    check(http("GET", "/thermoguard/status")[1]["Counters"]["Ignored"] > ignored_before, "OT series not seen")
    check(http("GET", "/thermoguard/series/%s/result" % sid_ot)[0] == 404, "OT series has a result")
    check(not sr_series_in_study(sid_ot), "OT series got an SR")

    # Corrupt and over-limit instances in a TG series: logged with their ids, the rest analysed.
    good = make_series("corrupt", 4)
    huge = os.path.join(TMP, "corrupt", "huge.dcm")
    ds = pydicom.dcmread(good[0])
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = "2.25.%d" % uuid.uuid4().int
    ds.Rows, ds.Columns = 60000, 60000
    ds.save_as(huge)
    broken = os.path.join(TMP, "corrupt", "broken.dcm")
    ds = pydicom.dcmread(good[1])
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = "2.25.%d" % uuid.uuid4().int
    ds.PixelData = ds.PixelData[:1000]
    ds.save_as(broken)
    storescu(good + [huge, broken])
    sid_c = series_id(good[0])
    res = wait_result(sid_c)
    if check(res is not None and res["Status"] == "done", "corrupt-instance series not analysed: %s" % res):
        check(res["InstancesUsed"] == 4 and len(res["InstancesRejected"]) == 2, "used/rejected: %s" % res)
        log = open(log_path).read()
        for r in res["InstancesRejected"]:
            check("instance %s not used" % r["ID"] in log, "rejected instance %s not logged" % r["ID"])
        ours = "\n".join(l for l in log.splitlines() if "ThermoGuard" in l)
        check("Synthetic" not in ours and "SYN-0000" not in ours, "patient name/id in ThermoGuard's log lines")
        sr = fetch(res["SRInstance"], "corrupt_sr.dcm")
        validate_sr(sr, good, "L=0.5,R=0.5,threshold=0.5,placeholder=1")
    system_ok("after corrupt instances")

    # REST errors.
    check(http("GET", "/thermoguard/series/not-an-id/result")[0] == 400, "bad id -> 400")
    unknown = "01234567-89abcdef-01234567-89abcdef-01234567"
    check(http("GET", "/thermoguard/series/%s/result" % unknown)[0] == 404, "unknown series -> 404")
    status, body = http("POST", "/thermoguard/series/%s/analyze" % sid, "[1,2]")
    check(status == 400 and "Error" in body, "bad body -> 400 JSON: %s %s" % (status, body))
    check(http("POST", "/thermoguard/series/%s/analyze" % sid, '{"Force": 3}')[0] == 400, "bad Force -> 400")
    check(http("GET", "/thermoguard/series/%s/analyze" % sid)[0] == 405, "GET analyze -> 405")
    status, models = http("GET", "/thermoguard/models")
    check(status == 200 and models["Models"] == [] and models["Results"]["Placeholder"] is True, "models: %s" % models)

    # Metrics and status.
    status, prom = http("GET", "/tools/metrics-prometheus")
    check(status == 200 and b"thermoguard_sr_created_total" in prom, "metrics not published")
    st = http("GET", "/thermoguard/status")[1]
    check(st["Counters"]["SRCreated"] == 4 and st["Counters"]["Failed"] == 0, "counters: %s" % st["Counters"])
    e2e_stats = st
    status, js = http("GET", "/plugins/explorer.js")
    check(status == 200 and b"thermoguard-button" in js, "Orthanc Explorer extension missing")
    system_ok("at the end of phase 2")
    prev_sr = {x: r["SRInstance"] for x, r in ((x, wait_result(x, timeout=5)) for x in (sid_pending, sid, sid_c)) if r}
    stop_orthanc()

    # ---- phase 3: restart with real models, a tiny queue and one worker ----
    models = {}
    for name, seed in (("demo-a", 1), ("demo-b", 2), ("demo-c", 3)):
        path = os.path.join(TMP, name + ".tgm")
        out = subprocess.run([HELPER, "create", path, str(seed), "synthetic"], check=True, capture_output=True,
                             text=True).stdout.strip()
        digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
        check(out == digest, "helper hash %s != file hash %s" % (out, digest))
        models[name] = (path, digest)
    small = copy.deepcopy(json.load(open(SNIPPET))["ThermoGuard"])
    small.update({"QueueSize": 1, "Workers": 1, "ActiveModel": "demo-a", "DetectorEnabled": True,
                  "Models": [{"Name": n, "Version": "1", "Path": p, "SHA256": d} for n, (p, d) in models.items()]})
    start_orthanc("small", small)
    check(wait_idle(60), "start-up scan did not finish")
    counts = {x: sum(len(s["Instances"]) for s in sr_series_in_study(x)) for x in (sid_pending, sid, sid_c)}
    # A result made without a model is not current once a model is active: one new SR each.
    check(counts == {sid_pending: 2, sid: 3, sid_c: 2}, "start-up scan with a model: SR counts %s" % counts)
    status, models_js = http("GET", "/thermoguard/models")
    listed = {m["Name"]: m for m in models_js.get("Models", [])} if status == 200 else {}
    check(listed.get("demo-a", {}).get("SHA256") == models["demo-a"][1] and listed["demo-a"]["Active"]
          and not listed.get("demo-b", {}).get("Active", True), "models listing: %s" % models_js)

    def expected(model_path, files):
        out = subprocess.run([HELPER, "predict", model_path] + files, check=True, capture_output=True,
                             text=True).stdout.split("\n")
        prob, score = {}, {}
        for line in filter(None, out):
            side, p, d = line.split()
            prob[side] = max(prob.get(side, 0.0), float(p))
            score[side] = max(score.get(side, 0.0), float(d))
        return prob, score

    def check_model_result(res, name, files, pred_sr, label):
        path, digest = models[name]
        if not check(res is not None and res.get("Status") == "done" and res.get("Model") == digest,
                     "%s: no result with model %s: %s" % (label, name, res)):
            return
        check(res["Placeholder"] is False and res["SyntheticDemoModel"] is True and res["DetectorRun"] is True,
              "%s: flags %s" % (label, res))
        check(res.get("Predecessor") == pred_sr, "%s: predecessor %s != %s" % (label, res.get("Predecessor"), pred_sr))
        prob, score = expected(path, files)
        got = {b["Laterality"]: b for b in res["Breasts"]}
        check(set(got) == set(prob) == {"L", "R"}, "%s: breasts %s vs %s" % (label, got, prob))
        for side in prob:
            check(abs(got[side]["Probability"] - prob[side]) < 1e-6,
                  "%s: %s probability %s != model %s" % (label, side, got[side]["Probability"], prob[side]))
            check(abs(got[side]["DetectorScore"] - score[side]) < 1e-5,
                  "%s: %s detector score %s != %s" % (label, side, got[side]["DetectorScore"], score[side]))
        check(abs(res["Probability"] - max(prob.values())) < 1e-6, "%s: verdict is not the max" % label)
        sr = fetch(res["SRInstance"], label + ".dcm")
        pred_uid = ""
        if pred_sr:
            pred_uid = pydicom.dcmread(fetch(pred_sr, label + "_pred.dcm")).SOPInstanceUID
        validate_sr(sr, files, "L=%.9g,R=%.9g,threshold=0.5,placeholder=0%s"
                    % (prob["L"], prob["R"], ",predecessor=" + pred_uid if pred_uid else ""))
        ds = pydicom.dcmread(sr)
        texts = []
        stack = list(ds.ContentSequence)
        while stack:
            it = stack.pop()
            if it.ValueType == "TEXT":
                texts.append(it.TextValue)
            stack.extend(it.get("ContentSequence", []))
        check(digest in texts, "%s: model SHA-256 not in the SR" % label)
        check(any("synthetic demo model" in t for t in texts), "%s: synthetic caveat missing" % label)
        check(any("UNCALIBRATED" in t for t in texts), "%s: detector settings text missing" % label)
        return res["SRInstance"]

    t_pred = time.time()
    res_a = wait_result(sid, timeout=5)
    sr_a = check_model_result(res_a, "demo-a", files, prev_sr.get(sid), "model_a")
    # Switch to demo-b through REST: re-analysis makes a second model SR referencing the first.
    status, body = http("POST", "/thermoguard/models/active", '{"Name": "demo-b"}')
    check(status == 200 and body.get("Active") == "demo-b" and body.get("Previous") == "demo-a",
          "switch to demo-b: %s %s" % (status, body))
    check(http("GET", "/thermoguard/status")[1]["Model"]["Active"] == "demo-b", "status after switch")
    check(http("POST", "/thermoguard/series/%s/analyze" % sid, "{}")[0] == 200, "analyze after switch")
    res_b = wait_result(sid, predicate=lambda r: r.get("SRInstance") != (res_a or {}).get("SRInstance"))
    check_model_result(res_b, "demo-b", files, sr_a, "model_b")
    check(sum(len(s["Instances"]) for s in sr_series_in_study(sid)) == counts[sid] + 1, "switch: SR count")
    # Bad switches: unknown name, then a file changed after start-up (hash mismatch) -> rollback.
    status, body = http("POST", "/thermoguard/models/active", '{"Name": "nope"}')
    check(status == 404 and "Error" in body, "unknown model switch: %s %s" % (status, body))
    check(http("POST", "/thermoguard/models/active", '{"Nom": 1}')[0] == 400, "bad switch body -> 400")
    open(models["demo-c"][0], "ab").write(b"tampered")
    status, body = http("POST", "/thermoguard/models/active", '{"Name": "demo-c"}')
    check(status == 409 and "SHA-256" in body.get("Error", "") and "demo-b" in body.get("Error", ""),
          "tampered model switch: %s %s" % (status, body))
    st = http("GET", "/thermoguard/status")[1]
    check(st["Model"]["Active"] == "demo-b" and st["Model"]["ResultModel"] == models["demo-b"][1],
          "rollback: status shows %s" % st["Model"])
    check(http("POST", "/thermoguard/series/%s/analyze" % sid, "{}")[0] == 200, "analyze after failed switch")
    check(wait_idle(), "idle after failed switch")
    check(sum(len(s["Instances"]) for s in sr_series_in_study(sid)) == counts[sid] + 1,
          "a failed switch changed the current result")
    model_seconds = time.time() - t_pred
    counts = {x: sum(len(s["Instances"]) for s in sr_series_in_study(x)) for x in counts}
    # Three forced requests back to back: one runs, one waits, one is deferred -- none is lost.
    for x in counts:
        check(http("POST", "/thermoguard/series/%s/analyze" % x, '{"Force": true}')[0] == 200, "forced analyze")
    check(wait_idle(), "queue did not drain")
    after = {x: sum(len(s["Instances"]) for s in sr_series_in_study(x)) for x in counts}
    check(after == {x: n + 1 for x, n in counts.items()}, "forced re-analysis lost or duplicated: %s" % after)
    st = http("GET", "/thermoguard/status")[1]
    check(st["Counters"]["Deferred"] >= 1, "no deferral with QueueSize 1: %s" % st["Counters"])
    check(st["Counters"]["Failed"] == 0, "failures with the model: %s" % st["Counters"])
    model_stats = st
    system_ok("at the end")
    stop_orthanc()

    # ---- phase 4: a model whose file does not match its pinned SHA-256 -> disabled ----
    small["Models"][1]["SHA256"] = "0" * 64
    start_orthanc("badsha", small)
    st = http("GET", "/thermoguard/status")[1]
    check(st["Enabled"] is False and "SHA-256" in (st["Reason"] or ""), "hash mismatch not refused: %s" % st)
    system_ok("with a mismatching model hash")
    print("node: end-to-end %.2f s from storescu start to SR visible (StableAge 1 s); placeholder analysis latency "
          "mean %.3f s, max %.3f s over %d series; with the model (1 worker, detector on): latency mean %.3f s, "
          "max %.3f s over %d series, decode+preprocess %.3f s, model+detector %.3f s, SR %.3f s in total; "
          "model checks %.1f s; test %.1f s"
          % (e2e_seconds, e2e_stats["LatencySeconds"]["Mean"], e2e_stats["LatencySeconds"]["Max"],
             e2e_stats["Counters"]["Analysed"], model_stats["LatencySeconds"]["Mean"],
             model_stats["LatencySeconds"]["Max"], model_stats["Counters"]["Analysed"],
             model_stats["AnalysisSecondsTotal"]["Decode"] + model_stats["AnalysisSecondsTotal"]["Preprocess"], model_stats["AnalysisSecondsTotal"]["Model"],
             model_stats["AnalysisSecondsTotal"]["SRWrite"], model_seconds, time.time() - t_start), flush=True)
    stop_orthanc()

    # ---- phase 5: a model Path that is a FIFO, not a file -> disabled, start-up not blocked ----
    fifo = os.path.join(TMP, "model.fifo")
    os.mkfifo(fifo)
    small["Models"][1]["Path"] = fifo
    start_orthanc("fifo", small)
    st = http("GET", "/thermoguard/status")[1]
    check(st["Enabled"] is False and "cannot read " + fifo in (st["Reason"] or ""), "FIFO model path: %s" % st)
    system_ok("with a FIFO as model path")
    stop_orthanc()


if __name__ == "__main__":
    H.run_test(main, TMP, lambda: [node])
