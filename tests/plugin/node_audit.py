#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Robustness audits as Orthanc jobs, against a real Orthanc on loopback (random free ports).

usage: node_audit.py PLUGIN.so THERMOGUARD_CLI SNIPPET.json MODEL.tgm

Three synthetic studies (`thermoguard synth --dicom`) are stored with the demo model active.
- Orthanc Explorer's study page shows the audit button (headless Chromium);
- bad bodies -> 400 with a JSON error; an unknown study id -> listed as skipped;
- an audit (FGSM + PGD-5, two °C budgets, image cap, audit SRs) runs as an Orthanc job to the end;
  its per-image clean probabilities and flips equal `thermoguard audit` on the same DICOM files
  (DICOM-folder mode: exactly; views.csv mode: the clean probabilities);
  one audit SR per study, dciodvfy-clean, never analysed by the node; the report is served as
  text/html and renders in headless Chromium with its sections;
- a "Find" query with IncludeIds/IncludeImages false: no instance ids, no images;
- pause/resume through /jobs/{id}/pause and /resume completes with every image;
- cancel through /jobs/{id}/cancel (running, and paused) -> "cancelled", no report, no SR; a
  cancelled audit resubmitted through /jobs/{id}/resubmit starts again and completes;
- at most ConcurrentJobs - 1 = 2 audits at once -> the third gets 503;
- a clinical series stored while an audit runs still gets its SR; /system answers throughout;
- after a restart GET /thermoguard/audits still lists the finished audit with its results, and an
  audit that was running when Orthanc stopped is "interrupted";
- a bad AuditDirectory value disables the plugin; an unusable directory or ConcurrentJobs 1 only
  disables audits (503), the node keeps answering.
No assertion depends on elapsed time: every wait polls a state with a generous bound.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import pydicom

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import orthanc_harness as H  # noqa: E402
from orthanc_harness import check, fail  # noqa: E402

PLUGIN, CLI, SNIPPET, MODEL = (os.path.abspath(a) for a in sys.argv[1:5])
TMP = tempfile.mkdtemp(prefix="tg_node_audit_")
SMALL = {"Attacks": ["fgsm", "pgd-5"], "EpsC": [0.002, 0.01], "Threats": ["adaptive"], "MaxImages": 6}
# ~4 s per image on one core: long enough to pause or cancel mid-way
HEAVY = {"Attacks": ["pgd-2000", "cw-2000", "square-5000"], "EpsC": [0.001, 0.002, 0.005, 0.01],
         "Threats": ["adaptive", "black-box"], "EarlyStop": False}
node = None


def http(method, path, body=None, timeout=30):
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    return node.http(method, path, body, timeout)


def wait_for(what, predicate, timeout=240, every=0.25):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = predicate()
        if v:
            return v
        time.sleep(every)
    fail("timed out waiting for " + what)
    return None


def job_state(job):
    status, body = http("GET", "/jobs/" + job)
    return body.get("State") if status == 200 else None


def audit(aid):
    status, body = http("GET", "/thermoguard/audits/" + aid)
    return body if status == 200 else None


def start(body, expect=200):
    status, r = http("POST", "/thermoguard/audits", body)
    check(status == expect, "POST /thermoguard/audits -> %s (want %s): %s" % (status, expect, r))
    return r if status == 200 else None


def sr_instances(study):
    out = []
    for s in http("GET", "/studies/%s/series" % study)[1]:
        if s["MainDicomTags"].get("Modality") == "SR":
            out += s["Instances"]
    return out


def bad_bodies(study):
    cases = [
        ("not json", "{"), ("not an object", "[1]"), ("unknown key", {"Studies": [study], "Bogus": 1}),
        ("no studies", {"Attacks": ["fgsm"]}), ("both studies and find", {"Studies": [study], "Find": {}}),
        ("studies not strings", {"Studies": [1]}), ("unknown attack", {"Studies": [study], "Attacks": ["nope"]}),
        ("negative budget", {"Studies": [study], "EpsC": [-0.1]}),
        ("both units", {"Studies": [study], "EpsC": [0.1], "Eps": [0.01]}),
        ("unknown threat", {"Studies": [study], "Threats": ["magic"]}),
        ("bad image cap", {"Studies": [study], "MaxImages": 0}), ("bad flag", {"Studies": [study], "AuditSR": "yes"}),
        ("find at series level", {"Find": {"Level": "Series", "Query": {}}}),
        ("transfer without source", {"Studies": [study], "Threats": ["transfer"]}),
        ("budget above the model's range", {"Studies": [study], "EpsC": [500.0]}),
        ("only unknown studies", {"Studies": ["00000000-00000000-00000000-00000000-00000000"]}),
    ]
    for name, body in cases:
        status, r = http("POST", "/thermoguard/audits", body)
        check(status == 400 and isinstance(r, dict) and r.get("Error"),
              "bad body (%s) -> %s %s, want 400 with a JSON error" % (name, status, r))


def cli_audit(src, name):
    out = os.path.join(TMP, name)
    r = subprocess.run([CLI, "audit", MODEL, src, "--out", out, "--attacks", "fgsm,pgd-5", "--eps-c", "0.002,0.01",
                        "--threats", "adaptive", "--max-images", "6", "--threads", "1"], capture_output=True, text=True)
    check(r.returncode == 0, "thermoguard audit %s failed: %s" % (name, r.stderr[-500:]))
    return json.load(open(os.path.join(out, "audit.json"))) if r.returncode == 0 else None


def compare_with_cli(res, dicom_dir, data_dir, study_patient):
    """The job's numbers equal `thermoguard audit` on the same DICOM files: exactly (same order, so
    the same per-image attack randomness) for the CLI's DICOM-folder mode; the clean probabilities
    per patient and breast for the views.csv mode."""
    cli = cli_audit(dicom_dir, "cli-dicom")
    if not cli:
        return
    job_imgs, cli_imgs = res["images"], cli["images"]
    check(len(job_imgs) == len(cli_imgs) == 6, "image counts job %d CLI %d (want 6)" % (len(job_imgs), len(cli_imgs)))
    for a, b in zip(job_imgs, cli_imgs):
        check(study_patient.get(a["patient"]) == b["patient"] and a["id"][-2:] == b["id"][-2:],
              "image order: job %s of %s vs CLI %s of %s" % (a["id"], a["patient"], b["id"], b["patient"]))
        check(abs(a["clean_prob"] - b["clean_prob"]) < 1e-5,
              "clean probability %s: job %s CLI %s" % (b["id"], a["clean_prob"], b["clean_prob"]))
        check([c[:3] for c in a["cells"]] == [c[:3] for c in b["cells"]],
              "cells (state, flipped, survives) of %s differ: job %s CLI %s" % (b["id"], a["cells"], b["cells"]))
    flips = lambda d: [p["flipped"]["k"] for p in d["summary"]["points"]]  # noqa: E731
    check(flips(res) == flips(cli), "flip counts job %s CLI %s" % (flips(res), flips(cli)))
    check(0 < flips(res)[-1] < 6, "the chosen budgets should flip some but not all images: %s" % flips(res))
    check(res["model"]["sha256"] == hashlib.sha256(open(MODEL, "rb").read()).hexdigest(), "model hash in results")
    views = cli_audit(data_dir, "cli-views")
    if views:
        per_patient = lambda imgs, key: sorted((key(r["patient"]), round(r["clean_prob"], 5)) for r in imgs)  # noqa: E731
        check(per_patient(job_imgs, study_patient.get) == per_patient(views["images"], str),
              "clean probabilities differ from the views.csv audit")


def check_srs(meta, studies, clinical_sr):
    srs = meta.get("AuditSRs", [])
    check(len(srs) == 3, "one audit SR per study, got %s" % srs)
    for i, sr in enumerate(srs):
        path = os.path.join(TMP, "audit-sr-%d.dcm" % i)
        node.fetch(sr, path)
        errors = H.dciodvfy_errors(path)
        check(not errors, "dciodvfy errors in audit SR %s: %s" % (sr, errors[:5]))
        ds = pydicom.dcmread(path)
        check(ds.Modality == "SR", "audit SR modality %s" % ds.Modality)
        text = str(ds)
        check("robustness audit" in text.lower(), "audit SR does not say it is a robustness audit")
        inst = http("GET", "/instances/" + sr)[1]
        series = inst["ParentSeries"]
        src = http("GET", "/series/%s/metadata/ThermoGuardSource" % series)
        check(src[0] == 200 and str(src[1] if not isinstance(src[1], bytes) else src[1].decode()).startswith("audit:"),
              "audit SR series not tagged as ThermoGuard's: %s" % (src,))
    node.wait_idle(timeout=60)
    for s in studies:  # the node analysed none of them: still exactly one clinical SR per study + the audit SR
        n = len(sr_instances(s))
        check(n == clinical_sr[s] + 1, "study %s: %d SR instances, want %d clinical + 1 audit" % (s, n, clinical_sr[s]))


def check_report(aid):
    status, html = http("GET", "/thermoguard/audits/%s/report" % aid)
    check(status == 200 and isinstance(html, bytes) and b"<html" in html.lower(), "report not served: %s" % status)
    if not isinstance(html, bytes):
        return
    for want in (b'id="accuracy"', b'class="plot-accuracy"', b"preprocessed model-grid input", b"Re-quantisation"):
        check(want in html, "report lacks %r" % want)
    page = os.path.join(TMP, "report.html")
    open(page, "wb").write(html)
    chromium = shutil.which("chromium")
    if not chromium:
        print("chromium not installed: rendering check skipped")
        return
    prof = tempfile.mkdtemp(dir=TMP)
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir=" + prof]
    dom = subprocess.run([chromium] + flags + ["--dump-dom", "file://" + page], capture_output=True, text=True,
                         timeout=120).stdout
    for want in ('id="accuracy"', "<svg", "preprocessed model-grid input"):
        check(want in dom, "rendered DOM lacks %s" % want)
    shot = os.path.join(TMP, "report.png")
    subprocess.run([chromium] + flags + ["--screenshot=" + shot, "--window-size=1200,1600", "file://" + page],
                   capture_output=True, timeout=120)
    check(os.path.exists(shot) and open(shot, "rb").read(8) == b"\x89PNG\r\n\x1a\n" and os.path.getsize(shot) > 20000,
          "chromium screenshot of the report missing or trivial")


def explorer_buttons(study):
    """Orthanc Explorer's study page shows the audit button (the script runs in a real browser)."""
    chromium = shutil.which("chromium")
    if not chromium:
        print("chromium not installed: Orthanc Explorer check skipped")
        return
    url = "http://127.0.0.1:%d/app/explorer.html#study?uuid=%s" % (node.http_port, study)
    dom = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                          "--user-data-dir=" + tempfile.mkdtemp(dir=TMP), "--virtual-time-budget=8000", "--dump-dom",
                          url], capture_output=True, text=True, timeout=120).stdout
    check("thermoguard-audit-button" in dom, "Orthanc Explorer's study page shows no audit button")


def main():
    global node
    H.install_signal_handlers()
    data = os.path.join(TMP, "data")
    subprocess.run([CLI, "synth", "--out", data, "--patients", "3", "--views", "frontal", "--dicom"], check=True,
                   capture_output=True, timeout=120)
    subprocess.run(["sed", "-i", r"s/\.txt,/.dcm,/", os.path.join(data, "views.csv")], check=True)
    files = {p: os.path.join(data, p, "frontal.dcm") for p in ("SYN-00000", "SYN-00001", "SYN-00002")}
    sha = hashlib.sha256(open(MODEL, "rb").read()).hexdigest()
    section = json.load(open(SNIPPET))["ThermoGuard"]
    section.update({"Workers": 1, "ActiveModel": "demo",
                    "Models": [{"Name": "demo", "Version": "demo", "Path": MODEL, "SHA256": sha}]})
    storage = os.path.join(TMP, "storage")
    check(json.load(open(SNIPPET)).get("ConcurrentJobs", 0) >= 3, "the shipped snippet sets ConcurrentJobs >= 3")
    node = H.Orthanc(TMP, PLUGIN, SNIPPET, "first", section=section, storage=storage).start(timeout=30)

    node.storescu(list(files.values()))
    studies, study_patient, clinical_sr = [], {}, {}
    for p, f in files.items():
        sid = wait_for("series of " + p, lambda: node.series_id(f), timeout=60)
        node.wait_result(sid, timeout=120)
        st = http("GET", "/series/%s" % sid)[1]["ParentStudy"]
        studies.append(st)
        study_patient[st] = p
        clinical_sr[st] = len(sr_instances(st))
        check(clinical_sr[st] == 1, "clinical SR for %s before the audit" % p)

    status, js = http("GET", "/plugins/explorer.js")
    check(status == 200 and b"thermoguard-audit-button" in js and b"thermoguard-button" in js,
          "Orthanc Explorer script lacks the audit (or series) button")
    explorer_buttons(studies[0])
    au = node.status().get("Audits", {})
    check(au.get("Available") is True and au.get("MaxConcurrent") == 2 and au.get("Directory", "").startswith(storage),
          "/thermoguard/status Audits: %s" % au)
    bad_bodies(studies[0])
    check(http("GET", "/thermoguard/audits/no_such/report")[0] == 400, "bad audit id -> 400")
    check(http("GET", "/thermoguard/audits/nosuchaudit")[0] == 404, "unknown audit -> 404")

    # 1. the audit to completion, against the CLI
    unknown = "ffffffff-ffffffff-ffffffff-ffffffff-ffffffff"
    # in StudyInstanceUID order, as the CLI's DICOM-folder mode walks them
    by_uid = sorted(studies, key=lambda s: http("GET", "/studies/" + s)[1]["MainDicomTags"]["StudyInstanceUID"])
    r = start(dict(SMALL, Studies=by_uid + [unknown], AuditSR=True))
    if not r:
        return
    check([s["ID"] for s in r.get("Skipped", [])] == [unknown], "unknown study listed as skipped: %s" % r)
    aid, job = r["ID"], r["JobID"]
    check(wait_for("audit job success", lambda: job_state(job) in ("Success", "Failure")) and job_state(job) == "Success",
          "audit job ended %s: %s" % (job_state(job), audit(aid)))
    meta = audit(aid) or {}
    check(meta.get("Status") == "done" and meta.get("Results"), "audit status %s" % meta.get("Status"))
    check(meta.get("Model", {}).get("SHA256") == sha and meta.get("StartedBy"), "audit record: model/who missing")
    job_info = http("GET", "/jobs/" + job)[1]
    check(job_info.get("Type") == "ThermoGuardAudit" and job_info.get("Progress") == 100, "job info %s" % job_info)
    check("started by" in node.log() and sha in node.log(), "who started the audit / model SHA-256 not logged")
    if meta.get("Results"):
        dicom_dir = os.path.join(TMP, "dicom")
        os.makedirs(dicom_dir)
        for p, f in files.items():
            shutil.copy(f, os.path.join(dicom_dir, p + ".dcm"))
        compare_with_cli(meta["Results"], dicom_dir, data, study_patient)
    check_srs(meta, studies, clinical_sr)
    check_report(aid)

    # 2. a Find query without identifiers or images
    r = start({"Find": {"Level": "Study", "Query": {"PatientID": "SYN-00001"}}, "Attacks": ["fgsm"],
               "EpsC": [0.01], "Threats": ["adaptive"], "IncludeIds": False, "IncludeImages": False})
    if r:
        wait_for("find audit", lambda: job_state(r["JobID"]) in ("Success", "Failure"))
        m = audit(r["ID"]) or {}
        res = json.dumps(m.get("Results"))
        check(m.get("Status") == "done" and len(m["Results"]["images"]) == 2, "find audit: %s" % m.get("Status"))
        check(m.get("Studies") == [studies[1]], "find resolved to %s" % m.get("Studies"))
        check(not any(s in res for s in studies) and "SYN-" not in res, "identifiers in results despite IncludeIds")
        html = http("GET", "/thermoguard/audits/%s/report" % r["ID"])[1]
        check(isinstance(html, bytes) and b"data:image/png" not in html, "images in report despite IncludeImages")

    # 3. pause / resume; a clinical series meanwhile still gets its SR
    r = start(dict(HEAVY, Studies=studies))
    if r:
        paid, job = r["ID"], r["JobID"]
        wait_for("first heavy image", lambda: (audit(paid) or {}).get("ImagesAudited", 0) >= 1)
        check(http("POST", "/jobs/%s/pause" % job, "")[0] == 200, "pause refused")
        wait_for("paused", lambda: job_state(job) == "Paused")
        n1 = (audit(paid) or {}).get("ImagesAudited")
        check((audit(paid) or {}).get("Status") == "paused", "audit status while paused: %s" % audit(paid))
        extra = os.path.join(TMP, "extra")
        subprocess.run([CLI, "synth", "--out", extra, "--patients", "1", "--seed", "9", "--views", "frontal",
                        "--dicom"], check=True, capture_output=True)
        ef = os.path.join(extra, "SYN-00000", "frontal.dcm")
        node.storescu([ef])
        esid = wait_for("clinical series", lambda: node.series_id(ef), timeout=60)
        check(esid and node.wait_result(esid, timeout=120) is not None, "clinical series during an audit got no result")
        check((audit(paid) or {}).get("ImagesAudited") == n1, "images were audited while paused")
        check(http("POST", "/jobs/%s/resume" % job, "")[0] == 200, "resume refused")
        wait_for("resumed audit", lambda: job_state(job) in ("Success", "Failure"), timeout=280)
        m = audit(paid) or {}
        check(m.get("Status") == "done" and len((m.get("Results") or {}).get("images", [])) == 6,
              "resumed audit: %s, %d images" % (m.get("Status"), len((m.get("Results") or {}).get("images", []))))
        node.system_ok("after pause/resume")

    # 4. cancel a running audit, and the concurrency limit (2 = ConcurrentJobs 3 - 1) with a paused one
    before = {s: len(sr_instances(s)) for s in studies}
    a1 = start(dict(HEAVY, Studies=studies, AuditSR=True))
    a2 = start(dict(HEAVY, Studies=studies, AuditSR=True))
    if a1 and a2:
        status, body = http("POST", "/thermoguard/audits", dict(SMALL, Studies=studies))
        check(status == 503 and body.get("Error"), "third concurrent audit -> %s, want 503" % status)
        wait_for("an image of the first", lambda: (audit(a1["ID"]) or {}).get("ImagesAudited", 0) >= 1)
        http("POST", "/jobs/%s/pause" % a2["JobID"], "")
        wait_for("second paused", lambda: job_state(a2["JobID"]) == "Paused")
        for a in (a1, a2):
            check(http("POST", "/jobs/%s/cancel" % a["JobID"], "")[0] == 200, "cancel refused")
            wait_for("cancelled", lambda: job_state(a["JobID"]) == "Failure")
            m = wait_for("cancel recorded", lambda: (audit(a["ID"]) or {}).get("Status") == "cancelled" and audit(a["ID"]),
                         timeout=30) or {}
            check(m.get("Status") == "cancelled" and m.get("Results") is None and not m.get("AuditSRs"),
                  "cancelled audit record: %s" % {k: m.get(k) for k in ("Status", "AuditSRs")})
            check(http("GET", "/thermoguard/audits/%s/report" % a["ID"])[0] == 404, "report of a cancelled audit")
        node.wait_idle(timeout=60)
        check({s: len(sr_instances(s)) for s in studies} == before, "a cancelled audit left SRs behind")
        # slots are free again; a cancelled audit resubmitted through Orthanc starts again and completes
        r = start(dict(HEAVY, Studies=studies, MaxImages=2))
        if r:
            wait_for("an image before the cancel", lambda: (audit(r["ID"]) or {}).get("ImagesAudited", 0) >= 1)
            http("POST", "/jobs/%s/cancel" % r["JobID"], "")
            wait_for("cancelled before resubmit", lambda: (audit(r["ID"]) or {}).get("Status") == "cancelled")
            check(http("POST", "/jobs/%s/resubmit" % r["JobID"], "")[0] == 200, "resubmit refused")
            wait_for("resubmitted audit", lambda: job_state(r["JobID"]) == "Success")
            m = audit(r["ID"]) or {}
            check(m.get("Status") == "done" and len((m.get("Results") or {}).get("images", [])) == 2,
                  "resubmitted audit: %s" % {k: m.get(k) for k in ("Status", "Error", "Images")})
    node.system_ok("after cancellations")

    # 5. restart: finished audits persist, one running at the stop is "interrupted"
    r = start(dict(HEAVY, Studies=studies))
    if r:
        wait_for("running at stop", lambda: (audit(r["ID"]) or {}).get("ImagesAudited", 0) >= 1)
    node.stop(timeout=60)
    node = H.Orthanc(TMP, PLUGIN, SNIPPET, "second", section=section, storage=storage).start(timeout=30)
    status, listed = http("GET", "/thermoguard/audits")
    by_id = {a["ID"]: a for a in listed} if status == 200 else {}
    check(by_id.get(aid, {}).get("Status") == "done", "finished audit not listed after restart: %s" % by_id.get(aid))
    m = audit(aid) or {}
    check(m.get("Results") and len(m["Results"]["images"]) == 6, "results of the finished audit after restart")
    if r:
        check(by_id.get(r["ID"], {}).get("Status") == "interrupted",
              "audit running at the stop: %s" % by_id.get(r["ID"], {}).get("Status"))
    check(by_id.get(a1["ID"] if a1 else "", {}).get("Status") == "cancelled", "cancelled audit after restart")
    node.system_ok("after restart")
    node.stop(timeout=30)
    config_checks(section, studies)


def config_checks(section, studies):
    """AuditDirectory and ConcurrentJobs are validated at start-up: a bad value disables the plugin
    like any bad key; an unusable directory or ConcurrentJobs 1 only disables audits."""
    global node
    blocker = os.path.join(TMP, "a-file")
    open(blocker, "w").write("not a directory")
    one_job = os.path.join(TMP, "one-job.json")  # Orthanc refuses a key set in two files: edit the snippet
    json.dump(dict(json.load(open(SNIPPET)), ConcurrentJobs=1), open(one_job, "w"))
    cases = [("bad-type", dict(section, AuditDirectory=5), SNIPPET, False, "AuditDirectory"),
             ("unwritable", dict(section, AuditDirectory=os.path.join(blocker, "audits")), SNIPPET, True,
              "AuditDirectory"),
             ("one-job", section, one_job, True, "ConcurrentJobs")]
    for name, sec, snippet, enabled, word in cases:
        node = H.Orthanc(TMP, PLUGIN, snippet, name, section=sec, storage=os.path.join(TMP, "st-" + name)).start(
            timeout=30)
        st = node.status()
        au = st.get("Audits", {})
        check(st.get("Enabled") is enabled, "%s: plugin enabled %s, want %s" % (name, st.get("Enabled"), enabled))
        reason = (au.get("Reason") or "") if enabled else (st.get("Reason") or "")
        check(au.get("Available") is False and word in reason, "%s: audits %s / %s" % (name, au, st.get("Reason")))
        status, body = http("POST", "/thermoguard/audits", dict(SMALL, Studies=studies[:1]))
        check(status == 503 and isinstance(body, dict) and body.get("Error"), "%s: POST -> %s" % (name, status))
        node.system_ok("with " + name)
        node.stop(timeout=30)


if __name__ == "__main__":
    try:
        main()
    except SystemExit as e:
        if e.code not in (0, None):
            fail(str(e.code))
    except Exception as e:  # a crash of the test itself is a failure, with Orthanc killed
        import traceback
        traceback.print_exc()
        fail("test crashed: %r" % e)
    H.finish(TMP, [node])
