#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Load test of the ThermoGuard node (label "load": NOT in the default suite; its own CI stage).

usage: node_load.py PLUGIN.so THERMOGUARD_CLI PHANTOM_MATRICES SNIPPET.json MODEL.tgm
                    [--series N] [--parallel P] [--rss-growth-mb M] [--asan SUPPRESSIONS]
                    [--bench-json OUT.json]

N 4-view 640x480 series (default 200), each a new study: 3 phantom patients are dicomized once and
cloned with fresh Study/Series/SOP Instance UIDs just before sending (files deleted after), sent
by P parallel storescu processes (default 8), one association per series. The demo model (SHA-256
computed here and pinned), 2 workers, the shipped snippet otherwise. Checks: exactly N SRs (one
per series, none lost or duplicated), no failed series, Orthanc's VmRSS growth from after a
warm-up series to the end below the bound (printed), /system answering every 0.5 s throughout
(10 s timeout per request), clean SIGTERM exit.

--asan SUPPRESSIONS: PLUGIN is an ASan/UBSan build (-DTG_SANITIZE=ON); Orthanc is started with
LD_PRELOAD=$(gcc -print-file-name=libasan.so), detect_leaks=1 and the LSan suppressions file (leaks
of Orthanc/DCMTK/ITK/OpenBLAS globals at exit); any "ERROR: AddressSanitizer", "ERROR:
LeakSanitizer" or "runtime error:" in Orthanc's output fails the test.

--bench-json: also writes per-series latency/timing from the plugin's own result JSON (used by
tests/bench/bench_node.sh).

Run by hand (after cmake --build build):
  /usr/bin/python3 tests/plugin/node_load.py build/plugin/orthanc/libThermoGuard.so \
      build/plugin/cli/thermoguard build/tests/plugin/phantom_matrices \
      packaging/orthanc/thermoguard.json testdata/models/demo.tgm --series 200
or through ctest: ctest --test-dir build -L load --output-on-failure  (see tests/plugin/node_load_asan.sh)
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import orthanc_harness as H  # noqa: E402
from orthanc_harness import check  # noqa: E402

ap = argparse.ArgumentParser()
for a in ("plugin", "cli", "phantom", "snippet", "model"):
    ap.add_argument(a)
ap.add_argument("--series", type=int, default=200)
ap.add_argument("--parallel", type=int, default=8)
ap.add_argument("--workers", type=int, default=2)
ap.add_argument("--rss-growth-mb", type=float, default=512.0)
ap.add_argument("--asan", metavar="SUPPRESSIONS")
ap.add_argument("--bench-json")
ap.add_argument("--timeout", type=float, default=480.0, help="bound on the wait for all SRs (s)")
args = ap.parse_args()
for a in ("plugin", "cli", "phantom", "snippet", "model"):
    setattr(args, a, os.path.abspath(getattr(args, a)))

TMP = tempfile.mkdtemp(prefix="tg_node_load_")
node = None
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:", "SUMMARY: AddressSanitizer",
                   "SUMMARY: UndefinedBehaviorSanitizer")


class SystemProbe(threading.Thread):
    """GET /system every 0.5 s until stopped; counts requests, failures and the slowest answer."""

    def __init__(self, node):
        super().__init__(daemon=True)
        self.node, self.stop_ev = node, threading.Event()
        self.n = self.failed = 0
        self.slowest = 0.0
        self.errors = []

    def run(self):
        while not self.stop_ev.is_set():
            t = time.time()
            try:
                ok = self.node.http("GET", "/system", timeout=10)[0] == 200
            except OSError as e:
                ok = False
                self.errors.append(str(e))
            self.slowest = max(self.slowest, time.time() - t)
            self.n += 1
            self.failed += not ok
            self.stop_ev.wait(0.5)


def orthanc_env():
    if not args.asan:
        return None
    libasan = subprocess.run(["gcc", "-print-file-name=libasan.so"], capture_output=True, text=True).stdout.strip()
    if not os.path.isabs(libasan) or not os.path.exists(libasan):
        raise SystemExit("libasan.so not found (gcc -print-file-name=libasan.so -> %r)" % libasan)
    env = dict(os.environ)
    env.update({
        "LD_PRELOAD": libasan,
        "ASAN_OPTIONS": "detect_leaks=1:halt_on_error=1:abort_on_error=0:detect_odr_violation=0:"
                        "allocator_may_return_null=1",
        "LSAN_OPTIONS": "suppressions=%s:print_suppressions=0" % os.path.abspath(args.asan),
        "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
        "OPENBLAS_NUM_THREADS": "1",
    })
    return env


def main():
    global node
    t_start = time.time()
    sha = hashlib.sha256(open(args.model, "rb").read()).hexdigest()
    section = json.load(open(args.snippet))["ThermoGuard"]
    section.update({"Workers": args.workers, "QueueSize": 256, "ActiveModel": "demo",
                    "Models": [{"Name": "demo", "Version": "demo", "Path": args.model, "SHA256": sha}]})
    templates = [H.make_series(TMP, args.phantom, args.cli, "template%d" % p, 20 + p) for p in range(3)]

    # Under LD_PRELOAD=libasan, Debian's Orthanc 1.10.1 deadlocks at start-up in duplocale() for its
    # default "Locale" en_US.UTF-8 (seen: futex wait on __libc_setlocale_lock), and exits because
    # mallopt(M_ARENA_MAX) fails with ASan's allocator: use "Locale" C and "MallocArenaMax" 0 (no call).
    extra = {"Locale": "C", "MallocArenaMax": 0} if args.asan else None
    node = H.Orthanc(TMP, args.plugin, args.snippet, "load", section=section, env=orthanc_env(), extra=extra)
    node.start(timeout=120)
    if not check(node.status()["Enabled"] is True, "plugin not enabled: %s" % node.status()):
        return
    # Warm-up series (model, ITK and DCMTK initialised) before the RSS baseline.
    warm = H.clone_series(templates[0], os.path.join(TMP, "warm"), 9999)
    node.storescu(warm)
    warm_sid = node.series_id(warm[0])
    check(node.wait_result(warm_sid, timeout=120) is not None, "warm-up series not analysed")
    check(node.wait_idle(60), "idle after warm-up")
    rss0 = node.rss_kb()

    probe = SystemProbe(node)
    probe.start()
    send_dir = os.path.join(TMP, "send")
    uids = [None] * args.series
    send_fail = []

    def send(i):
        d = os.path.join(send_dir, "%03d" % i)
        files = H.clone_series(templates[i % len(templates)], d, i)
        import pydicom
        uids[i] = pydicom.dcmread(files[0], stop_before_pixels=True).SeriesInstanceUID
        r = subprocess.run(["storescu", "-aet", H.SCU_AET, "-aec", H.NODE_AET, "127.0.0.1", str(node.dicom_port)]
                           + files, capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            send_fail.append((i, r.stderr[-300:]))
        shutil.rmtree(d, ignore_errors=True)

    t_send = time.time()
    with ThreadPoolExecutor(max_workers=args.parallel) as ex:
        list(ex.map(send, range(args.series)))
    send_seconds = time.time() - t_send
    check(not send_fail, "%d storescu failures, e.g. %s" % (len(send_fail), send_fail[:2]))

    # Every series gets exactly one result; bounded wait.
    sids = {}
    results = {}
    deadline = time.time() + args.timeout
    rss_peak = rss0
    while time.time() < deadline and len(results) < args.series:
        if node.proc.poll() is not None:
            raise SystemExit("Orthanc died during the load (code %s)" % node.proc.returncode)
        rss_peak = max(rss_peak, node.rss_kb())
        for i, uid in enumerate(uids):
            if uid is None or i in results:
                continue
            if i not in sids:
                st, body = node.http("POST", "/tools/lookup", uid)
                ids = [e["ID"] for e in body if e.get("Type") == "Series"] if st == 200 else []
                if not ids:
                    continue
                sids[i] = ids[0]
            r = node.result(sids[i])
            if r is not None:
                results[i] = r
        time.sleep(0.5)
    t_all = time.time() - t_send
    check(len(results) == args.series, "only %d/%d series have a result within %.0f s"
          % (len(results), args.series, args.timeout))
    check(node.wait_idle(60), "queue did not drain")
    rss1 = node.rss_kb()
    probe.stop_ev.set()
    probe.join(15)

    failed = [i for i, r in results.items() if r["Status"] != "done"]
    check(not failed, "%d series failed, e.g. %s" % (len(failed), [results[i].get("Error") for i in failed[:3]]))
    # Exactly one SR per study (each series is its own study) and N in total.
    counts = [node.sr_count(sids[i]) for i in sorted(sids)]
    total = node.http("POST", "/tools/find", json.dumps({"Level": "Instance", "Query": {"Modality": "SR"}}))[1]
    n_sr_total = len(total) if isinstance(total, list) else -1
    check(counts.count(1) == args.series, "SRs per series: %d with one, others %s"
          % (counts.count(1), sorted(c for c in counts if c != 1)[:10]))
    check(n_sr_total == args.series + 1, "%d SR instances in Orthanc, want %d (+1 warm-up)"
          % (n_sr_total, args.series + 1))
    st = node.status()
    check(st["Counters"]["Failed"] == 0, "failed counter: %s" % st["Counters"])
    growth_mb = (rss1 - rss0) / 1024.0
    check(growth_mb < args.rss_growth_mb, "Orthanc RSS grew %.1f MB (bound %.0f MB)" % (growth_mb, args.rss_growth_mb))
    check(probe.failed == 0 and probe.n > 0, "/system failed %d of %d times during the load: %s"
          % (probe.failed, probe.n, probe.errors[:3]))
    node.system_ok("at the end of the load")
    node.stop(timeout=120 if args.asan else 30)
    if args.asan:
        log = node.log()
        hits = [l for l in log.splitlines() if any(m in l for m in SANITIZER_MARKS)]
        check(not hits, "sanitizer reports in Orthanc's output: %s" % hits[:10])
        if hits:
            i = log.find(hits[0])
            print(log[max(0, i - 200):i + 6000])

    lat = sorted(r.get("LatencySeconds", 0.0) for r in results.values())

    def pct(v, p):
        return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))] if v else float("nan")

    print("node load%s: %d series (%d parallel storescu, %d workers) sent in %.1f s, all %d SRs after %.1f s "
          "(%.1f series/min); latency event->SR p50 %.3f s p95 %.3f s max %.3f s; Orthanc VmRSS %.1f MB after "
          "warm-up -> %.1f MB at the end (growth %.1f MB, bound %.0f MB; peak %.1f MB); /system answered %d/%d "
          "probes, slowest %.2f s; test %.1f s"
          % (" (ASan)" if args.asan else "", args.series, args.parallel, args.workers, send_seconds, len(results),
             t_all, 60.0 * len(results) / t_all if t_all else 0, pct(lat, 50), pct(lat, 95), lat[-1] if lat else 0,
             rss0 / 1024.0, rss1 / 1024.0, growth_mb, args.rss_growth_mb, rss_peak / 1024.0,
             probe.n - probe.failed, probe.n, probe.slowest, time.time() - t_start), flush=True)
    if args.bench_json:
        json.dump({"series": args.series, "parallel": args.parallel, "workers": args.workers,
                   "send_seconds": send_seconds, "all_seconds": t_all,
                   "results": [{k: r.get(k) for k in ("LatencySeconds", "Seconds", "Timing", "InstancesUsed")}
                               for r in results.values()],
                   "totals": st["AnalysisSecondsTotal"], "rss_kb": [rss0, rss1, rss_peak]},
                  open(args.bench_json, "w"), indent=1)


if __name__ == "__main__":
    H.run_test(main, TMP, lambda: [node])
