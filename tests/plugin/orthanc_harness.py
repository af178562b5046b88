# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared harness for the ThermoGuard node tests: a real Orthanc with the plugin on loopback and
random free ports, DICOM peers (storescu, findscu, movescu, storescp), REST polling with bounded
waits, synthetic series, SR validation. Every child process gets SIGKILL if the test runner dies
(PR_SET_PDEATHSIG) and lives in its own process group so the runner can kill it at the end.

Failures are collected with check()/fail() in the module-level list `failures`.
"""
import ctypes
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid

import pydicom

failures = []
NODE_AET, SCU_AET = "TGNODE", "TGTEST"


def fail(msg):
    print("FAIL:", msg, flush=True)
    failures.append(msg)


def check(cond, msg):
    if not cond:
        fail(msg)
    return cond


def die_with_parent():
    """The child gets SIGKILL if this runner dies (e.g. killed by a ctest timeout)."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def on_signal(signum, frame):
    raise SystemExit("interrupted by signal %d" % signum)


def install_signal_handlers():
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spawn(cmd, log_path, env=None):
    """Starts a helper process (own session, dies with the runner), output to log_path."""
    return subprocess.Popen(cmd, stdout=open(log_path, "w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True, preexec_fn=die_with_parent, env=env)


def kill_group(proc):
    if proc and proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


class Orthanc:
    """One Orthanc process with the plugin. `conf_dir` gets the snippet (its "ThermoGuard" section
    optionally replaced by `section`) and an orthanc.json on fresh random ports; `storage` is
    shared between restarts when the same path is given. `modalities` adds DicomModalities
    entries (name -> [AET, host, port]); the SCU AET TGTEST is always declared."""

    def __init__(self, tmp, plugin, snippet, name, section=None, storage=None, modalities=None, env=None,
                 extra=None):
        self.tmp, self.plugin, self.snippet, self.name = tmp, plugin, snippet, name
        self.section, self.env, self.extra = section, env, extra or {}
        self.storage = storage or os.path.join(tmp, "storage")
        self.modalities = {"tester": [SCU_AET, "127.0.0.1", free_port()]}
        self.modalities.update(modalities or {})
        self.proc = None
        self.log_path = os.path.join(tmp, "orthanc-%s.log" % name)
        self.http_port = self.dicom_port = None

    # ---- life cycle ----
    def start(self, timeout=60):
        conf_dir = os.path.join(self.tmp, "conf-" + self.name)
        os.makedirs(conf_dir, exist_ok=True)
        snippet = json.load(open(self.snippet))
        if self.section is not None:
            snippet["ThermoGuard"] = self.section
        json.dump(snippet, open(os.path.join(conf_dir, "thermoguard.json"), "w"), indent=1)
        self.http_port, self.dicom_port = free_port(), free_port()
        conf = {
            "Name": "ThermoGuardTest", "HttpPort": self.http_port, "DicomPort": self.dicom_port,
            "DicomAet": NODE_AET, "RemoteAccessAllowed": False, "AuthenticationEnabled": False,
            "HttpDescribeErrors": True, "StableAge": 1, "SaveJobs": False, "StorageDirectory": self.storage,
            "IndexDirectory": self.storage, "Plugins": [self.plugin], "DicomAlwaysAllowStore": False,
            "DicomCheckModalityHost": True, "DicomModalities": self.modalities, "HttpServerEnabled": True,
            "MetricsEnabled": True,
        }
        conf.update(self.extra)
        json.dump(conf, open(os.path.join(conf_dir, "orthanc.json"), "w"), indent=1)
        self.proc = spawn(["Orthanc", "--verbose", conf_dir], self.log_path, env=self.env)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit("Orthanc exited at start-up (code %s); log:\n%s"
                                 % (self.proc.returncode, open(self.log_path, errors="replace").read()[-4000:]))
            try:
                if self.http("GET", "/system", timeout=1)[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit("Orthanc did not answer within %d s" % timeout)

    def stop(self, timeout=30):
        """SIGTERM and a bounded wait; a crash or hang at shutdown is a failure."""
        p = self.proc
        if p and p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=timeout)
                check(p.returncode == 0, "Orthanc exited with code %s on SIGTERM (crash at shutdown?)" % p.returncode)
            except subprocess.TimeoutExpired:
                fail("Orthanc did not stop within %d s of SIGTERM (plugin hang?)" % timeout)
                kill_group(p)
        self.proc = None

    def kill(self):
        kill_group(self.proc)
        self.proc = None

    def rss_kb(self):
        for line in open("/proc/%d/status" % self.proc.pid):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return -1

    def log(self):
        return open(self.log_path, errors="replace").read()

    # ---- REST ----
    def http(self, method, path, body=None, timeout=10):
        """Returns (status, parsed JSON or raw bytes)."""
        data = body if isinstance(body, (bytes, type(None))) else body.encode()
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.http_port, path), data=data, method=method)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                status, raw = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw

    def system_ok(self, where):
        try:
            status, body = self.http("GET", "/system")
        except OSError as e:
            status, body = str(e), None
        return check(status == 200 and isinstance(body, dict) and "Version" in body,
                     "/system not answering " + where)

    def status(self):
        return self.http("GET", "/thermoguard/status")[1]

    def series_id(self, path):
        uid = pydicom.dcmread(path, stop_before_pixels=True).SeriesInstanceUID
        status, body = self.http("POST", "/tools/lookup", uid)
        ids = [e["ID"] for e in body if e.get("Type") == "Series"] if status == 200 else []
        return ids[0] if ids else None

    def result(self, sid):
        status, body = self.http("GET", "/thermoguard/series/%s/result" % sid)
        if status == 200 and body.get("Status") in ("done", "failed") and "Pending" not in body:
            return body
        return None

    def wait_result(self, sid, timeout=60, predicate=lambda r: True):
        deadline = time.time() + timeout
        while time.time() < deadline:
            r = self.result(sid)
            if r is not None and predicate(r):
                return r
            time.sleep(0.25)
        return None

    def wait_log(self, text, timeout=60):
        """True once `text` appears in Orthanc's log (the plugin's decisions are logged)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if text in self.log():
                return True
            time.sleep(0.2)
        return False

    def wait_idle(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            q = self.status()["Queue"]
            if q["Depth"] == 0 and q["Running"] == 0 and q["Deferred"] == 0:
                return True
            time.sleep(0.25)
        return False

    def sr_series_in_study(self, sid):
        study = self.http("GET", "/series/%s" % sid)[1]["ParentStudy"]
        return [s for s in self.http("GET", "/studies/%s/series" % study)[1]
                if s["MainDicomTags"].get("Modality") == "SR"]

    def sr_count(self, sid):
        return sum(len(s["Instances"]) for s in self.sr_series_in_study(sid))

    def fetch(self, instance_id, path):
        status, raw = self.http("GET", "/instances/%s/file" % instance_id)
        check(status == 200, "GET /instances/%s/file -> %s" % (instance_id, status))
        open(path, "wb").write(raw)
        return path

    # ---- DICOM network ----
    def storescu(self, files, timeout=120):
        r = subprocess.run(["storescu", "-aet", SCU_AET, "-aec", NODE_AET, "127.0.0.1", str(self.dicom_port)]
                           + list(files), capture_output=True, text=True, timeout=timeout)
        return check(r.returncode == 0, "storescu failed: %s" % r.stderr[-500:])


def make_series(tmp, phantom, cli, name, patient, modality="TG"):
    """Dicomizes the 4 phantom views of `patient` as one series (new study); returns the file paths."""
    d = os.path.join(tmp, name)
    os.makedirs(d)
    out = subprocess.run([phantom, d, str(patient)], check=True, capture_output=True, text=True).stdout
    study, series = "2.25.%d" % uuid.uuid4().int, "2.25.%d" % uuid.uuid4().int
    files = []
    for line in out.split("\n"):
        if not line.strip():
            continue
        path, lat, view = line.split()
        dcm = path[:-4] + ".dcm"
        subprocess.run([cli, "dicomize", "--patient-id", "SYN-%05d" % patient, "--patient-name", "Synthetic^Test",
                        "--laterality", lat, "--view", view, "--study-uid", study, "--series-uid", series,
                        "--study-date", "20240301", "--study-time", "093000", "--out", dcm, path],
                       check=True, capture_output=True)
        files.append(dcm)
    if modality != "TG":
        for f in files:
            ds = pydicom.dcmread(f)
            ds.Modality = modality
            ds.save_as(f)
    return files


def synth_templates(tmp, cli, patients):
    """`thermoguard synth --dicom`: a list of series, each the list of its files (sorted)."""
    out = os.path.join(tmp, "synth")
    subprocess.run([cli, "synth", "--out", out, "--patients", str(patients), "--dicom"], check=True,
                   capture_output=True, timeout=300)
    series = {}
    for root, _, names in os.walk(out):
        for n in names:
            if n.endswith(".dcm"):
                p = os.path.join(root, n)
                uid = pydicom.dcmread(p, stop_before_pixels=True).SeriesInstanceUID
                series.setdefault(uid, []).append(p)
    return [sorted(v) for _, v in sorted(series.items())]


def clone_series(template_files, out_dir, index):
    """Writes a copy of one series with new Study/Series/SOP Instance UIDs (a new study of a
    new synthetic patient); returns the paths. Pixel data is copied as is (cheap)."""
    os.makedirs(out_dir, exist_ok=True)
    study, series = "2.25.%d" % uuid.uuid4().int, "2.25.%d" % uuid.uuid4().int
    files = []
    for k, src in enumerate(template_files):
        ds = pydicom.dcmread(src)
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = "2.25.%d" % uuid.uuid4().int
        ds.PatientID = "SYN-L%05d" % index
        dst = os.path.join(out_dir, "%03d-%d.dcm" % (index, k))
        ds.save_as(dst)
        files.append(dst)
    return files


def dciodvfy_errors(path):
    out = subprocess.run(["dciodvfy", path], capture_output=True, text=True, timeout=60)
    return [l for l in (out.stdout + out.stderr).splitlines() if "Error" in l]


def validate_sr(sr_path, sources, expect, check_sr):
    errors = dciodvfy_errors(sr_path)
    check(not errors, "dciodvfy errors in the SR: %s" % errors[:5])
    out = subprocess.run(["dcentvfy"] + sources + [sr_path], capture_output=True, text=True)
    errors = [l for l in (out.stdout + out.stderr).splitlines() if "Error" in l]
    check(not errors, "dcentvfy errors: %s" % errors[:5])
    r = subprocess.run(["/usr/bin/python3", check_sr, sr_path, "result", expect] + sources,
                       capture_output=True, text=True)
    check(r.returncode == 0, "SR content check: %s" % r.stdout[-800:])


def finish(tmp, nodes, extra_procs=(), keep_log_tail=True):
    """Kills whatever is left, prints log tails on failure, removes tmp, exits 0/1."""
    import shutil
    import sys
    for n in nodes:
        if n is not None:
            n.kill()
    for p in extra_procs:
        kill_group(p)
    if failures and keep_log_tail:
        for n in nodes:
            if n is not None and os.path.exists(n.log_path):
                print("---- tail of %s ----" % os.path.basename(n.log_path))
                print("".join(open(n.log_path, errors="replace").readlines()[-40:]))
    shutil.rmtree(tmp, ignore_errors=True)
    print("FAIL (%d)" % len(failures) if failures else "PASS", flush=True)
    sys.exit(1 if failures else 0)


def run_test(main, tmp, nodes, procs=lambda: ()):
    """Runs main() as a test script: signals become failures, any exception is a failure (with its
    traceback), and finish() always cleans up. `nodes` and `procs` are called at the end (the
    test's globals are only set while main runs)."""
    import traceback
    install_signal_handlers()
    try:
        main()
    except SystemExit as e:
        fail(str(e))
    except Exception as e:  # noqa: BLE001 -- any error is a test failure, cleanup still runs
        traceback.print_exc()
        fail("%s: %s" % (type(e).__name__, e))
    finally:
        finish(tmp, nodes(), procs())
