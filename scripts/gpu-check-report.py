"""Builds gpu-check's summary.txt and figures.json from its work folder; run after every step.

  gpu-check-report.py WORK OUT

WORK holds steps.tsv (one line per step, written by scripts/gpu-check.sh), environment.tsv and
logs/ (per step ID: ID.log, and where the step made them ID.json from gemma4j bench, ID-junit/
from the JUnit console, ID-cublaslt-*.log from cuBLASLt). Both files are written next to their
final name and renamed into place, so a run killed at any moment leaves the last complete pair.
"""
import glob
import json
import os
import re
import sys
import time
import xml.etree.ElementTree as ET

STEP_FIELDS = ("id", "name", "kind", "switch", "expected_s", "timeout_s", "budget_s", "status", "rc", "seconds")
TARGETS = ("targets: 7B batch-1 decode >= 90% of its limit, 2B >= 80%, 1,024-token prefill >= 70% of the GEMM rate,"
           " batch-64 aggregate >= 40x batch 1")


def read_tsv(path, fields):
    rows = []
    if os.path.exists(path):
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) >= len(fields):
                    rows.append(dict(zip(fields, parts[:len(fields)])))
    return rows


def text(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def last_line(log):
    """The log's last line with something to say: progress-bar redraws (carriage returns) reduced to
    their last state; gpu-check's own header lines and the stand-in driver's exit report left out."""
    for line in reversed(text(log).splitlines()):
        line = line.split("\r")[-1].strip()
        if line and not line.startswith(("# ", "fakecuda: ")):
            return line
    return ""


def number(value):
    """value as an int or a float; None where it is no number (a skipped step's rc, say)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        pass
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def pct(fraction):
    return "-" if fraction is None else "%.1f%%" % (100 * fraction)


def fmt(value, digits=0):
    """digits decimals, or three significant digits for a value below 10 (the stand-in's rates)."""
    if value is None:
        return "-"
    return "%.3g" % value if abs(value) < 10 else "%.*f" % (digits, value)


# ---- per kind: the figures a step's files hold ----

def tests_figures(step, base):
    out = text(base + ".log")
    counts = {}
    for n, what, state in re.findall(r"\[\s*(\d+) (tests|containers) (\w+)\s*\]", out):
        counts["%s_%s" % (what, state)] = int(n)
    problems = []
    for xml in glob.glob(base + "-junit/*.xml"):
        try:
            root = ET.parse(xml).getroot()
        except ET.ParseError as e:
            problems.append({"test": os.path.basename(xml), "outcome": "unreadable report", "message": str(e)})
            continue
        for case in root.iter("testcase"):
            for outcome in ("failure", "error", "skipped"):
                node = case.find(outcome)
                if node is not None:
                    message = (node.get("message") or node.text or "").strip().splitlines()
                    problems.append({"test": "%s.%s" % (case.get("classname", "").rsplit(".", 1)[-1],
                                                        case.get("name", "")),
                                     "outcome": "aborted" if outcome == "skipped" else "failed",
                                     "message": message[0][:300] if message else ""})
    return {"counts": counts, "not_passed": problems}


def bench_figures(step, base):
    try:
        with open(base + ".json", encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def parity_figures(step, base):
    out = text(base + ".log")
    steps = {m[0]: {"relative_error": number(m[1]), "max_abs_error": number(m[2])}
             for m in re.findall(r"^(\S+)\s+([-+0-9.eE]+|NaN|Infinity)\s+([-+0-9.eE]+|NaN|Infinity)\s*$", out, re.M)}
    agree = re.search(r"greedy tokens agreeing: (\d+) of (\d+)", out)
    model = re.search(r"^model (\S+) \((\d+) layers\)", out, re.M)
    return {"model": model.group(1) if model else None, "layers": int(model.group(2)) if model else None,
            "logits_relative_error": steps.get("logits", {}).get("relative_error"),
            "greedy_agreeing": int(agree.group(1)) if agree else None,
            "greedy_compared": int(agree.group(2)) if agree else None, "steps": steps}


def cublaslt_figures(step, base):
    """Distinct cuBLASLt trace lines (matmul shapes and the algorithm chosen), counted."""
    calls = {}
    files = sorted(glob.glob(base + "-cublaslt-*.log"))
    lines = 0
    # Where cuBLASLt ignores CUBLASLT_LOG_FILE it writes to stdout, into the step's log.
    for path in files + [base + ".log"]:
        for line in text(path).splitlines():
            if "cublasLt" not in line or not re.search(r"\[(Trace|Info|Hints?|Api|Error)\]", line):
                continue
            lines += 1
            line = re.sub(r"^\[[^]]*\]\[[^]]*\]\[[^]]*\]", "", line)      # [time][cublasLt][pid]
            line = re.sub(r"\b(A|B|C|D|workSpace|stream|bias\w*|matmulDesc\w*|[a-zA-Z]*Pointer)=0x[0-9a-fA-F]+ ?",
                          "", line)
            line = re.sub(r"0x[0-9a-fA-F]{6,}", "0x…", line).strip()
            calls[line] = calls.get(line, 0) + 1
    ranked = sorted(calls.items(), key=lambda kv: -kv[1])
    api = text(base + "-cublas.log").splitlines()
    return {"files": [os.path.basename(p) for p in files], "lines": lines,
            "cublas_api_log_lines": len(api), "cublas_calls": sum(1 for line in api if "function cublas" in line),
            "distinct": [{"count": n, "line": line} for line, n in ranked]}


def hf_figures(step, base):
    return {"last_line": last_line(base + ".log")}


FIGURES = {"tests": tests_figures, "bench": bench_figures, "parity": parity_figures,
           "cublaslt": cublaslt_figures, "hf": hf_figures}


# ---- the summary ----

def switch(step):
    """The switch a step measures, without the common prefix: decodeGemv=own; empty for none."""
    return "" if step["switch"] == "-" else step["switch"].replace("gemma4j.cuda.", "")


def model_name(bench_json):
    """The model bench ran: a built-in name, or the folder's name."""
    return os.path.basename(str(bench_json.get("model", "?")).rstrip("/"))


def bench_rows(step):
    """Summary rows of one bench step: model, batch, figures, x batch 1 of the same run."""
    j = step.get("figures")
    if not j:
        return []
    rows = j.get("batches", [])
    one = next((r for r in rows if r.get("batch") == 1), None)
    one_rate = number(one and one.get("decode_tokens_per_s_per_sequence"))
    settings = j.get("settings", {})
    out = []
    for r in rows:
        agg = number(r.get("decode_tokens_per_s_aggregate"))
        out.append("%-18s %-24s %5s %6s %10s %10s %10s %8s %8s %8s" % (
            model_name(j), switch(step), r.get("batch"),
            settings.get("context_tokens", "?"), fmt(number(r.get("decode_tokens_per_s_per_sequence")), 1),
            fmt(agg, 1), fmt(number(r.get("decode_limit_tokens_per_s_per_sequence")), 1),
            pct(number(r.get("decode_fraction_of_limit"))), pct(number(r.get("prefill_fraction_of_limit"))),
            "%.1fx" % (agg / one_rate) if agg is not None and one_rate else "-"))
    return out


def batch(step, b):
    j = step.get("figures") or {}
    return next((r for r in j.get("batches", []) if r.get("batch") == b), None)


def side_by_side(steps):
    """Steps of the same name run with each value of one switch: their figures next to each other."""
    groups = {}
    for s in steps:
        if s["kind"] == "bench" and "=" in s["switch"]:
            prop, value = s["switch"].split("=", 1)
            groups.setdefault((prop, s["name"]), []).append((value, s))
    lines = []
    for (prop, name), runs in groups.items():
        values = [v for v, _ in runs]
        lines.append("%s, %s: %s" % (prop.replace("gemma4j.cuda.", ""), name, " vs ".join(values)))
        batches = sorted({r.get("batch") for _, s in runs for r in (s.get("figures") or {}).get("batches", [])})
        for b in batches:
            cells = []
            rates = []
            for value, s in runs:
                r = batch(s, b)
                if r is None:
                    cells.append("%s: %s" % (value, s["status"]))
                    rates.append(None)
                    continue
                if prop.endswith("prefillAttention"):
                    rate = number(r.get("prefill_tokens_per_s"))
                    cells.append("%s: prefill %s tok/s (%s), ttft %s s" % (
                        value, fmt(rate), pct(number(r.get("prefill_fraction_of_limit"))),
                        fmt(number(r.get("time_to_first_token_s")), 3)))
                else:
                    rate = number(r.get("decode_tokens_per_s_per_sequence"))
                    cells.append("%s: decode %s tok/s/seq (%s)" % (
                        value, fmt(rate, 1), pct(number(r.get("decode_fraction_of_limit")))))
                rates.append(rate)
            ratio = ""
            if len(rates) == 2 and all(rates):
                ratio = "  %s/%s = %.2f" % (values[1], values[0], rates[1] / rates[0])
            lines.append("  batch %-3s %s%s" % (b, "; ".join(cells), ratio))
    return lines


def headline(step):
    """One line for the step table: the step's main figures when it passed, else its last line."""
    f = step.get("figures")
    if step["status"] == "ok" and f:
        if step["kind"] == "tests":
            c = f["counts"]
            return "%s of %s tests successful, %s failed, %s aborted" % (
                c.get("tests_successful", "?"), c.get("tests_found", "?"), c.get("tests_failed", "?"),
                c.get("tests_aborted", "?"))
        if step["kind"] == "parity" and f.get("logits_relative_error") is not None:
            return "logits rel %.3e, greedy agreeing %s of %s" % (
                f["logits_relative_error"], f.get("greedy_agreeing"), f.get("greedy_compared"))
        if step["kind"] == "cublaslt":
            return "cuBLASLt trace: %d lines, %d distinct; cuBLAS API log: %d calls" % (
                f.get("lines", 0), len(f.get("distinct", [])), f.get("cublas_calls", 0))
        if step["kind"] == "bench":
            return "; ".join("batch %s: decode %s tok/s/seq (%s), prefill %s" % (
                r.get("batch"), fmt(number(r.get("decode_tokens_per_s_per_sequence")), 1),
                pct(number(r.get("decode_fraction_of_limit"))), pct(number(r.get("prefill_fraction_of_limit"))))
                for r in f.get("batches", [])[:2])
    return step["last_line"].replace("\t", ": ")


def summary(mode, env, steps, elapsed, deadline, crashes):
    lines = ["gemma4j gpu-check%s, %s, %d s of a %s s deadline" % (
        " --dry-run (stand-in driver, small shapes)" if mode == "dry-run" else "",
        time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), elapsed, deadline)]
    states = {}
    for s in steps:
        states[s["status"]] = states.get(s["status"], 0) + 1
    lines.append("steps: " + ", ".join("%d %s" % (n, k) for k, n in states.items()))
    for k, v in env.items():
        lines.append("%-16s %s" % (k, v))
    lines.append("")
    lines.append("%-44s %-15s %4s %5s %6s  %s" % ("step", "status", "rc", "time", "budget", "result (or the log's last line)"))
    for s in steps:
        lines.append("%-44s %-15s %4s %4ss %5ss  %s" % (s["id"], s["status"], s["rc"], s["seconds"], s["budget_s"],
                                                         headline(s)[:110]))

    tests = [s for s in steps if s["kind"] == "tests" and s.get("figures")]
    if tests:
        lines += ["", "gpu tests:"]
        for s in tests:
            c = s["figures"]["counts"]
            lines.append("  %-40s %s found, %s successful, %s failed, %s aborted" % (
                s["id"], c.get("tests_found", "?"), c.get("tests_successful", "?"), c.get("tests_failed", "?"),
                c.get("tests_aborted", "?")))
            for p in s["figures"]["not_passed"]:
                lines.append("    %s %s: %s" % (p["outcome"], p["test"], p["message"][:160]))

    benches = [s for s in steps if s["kind"] == "bench"]
    if benches:
        lines += ["", "gemma4j bench --device cuda; decode limit = copy bandwidth / bytes per step, prefill limit ="
                      " cuBLAS fp16 GEMM rate / prompt GEMM flops, both measured in each run",
                  TARGETS,
                  "%-18s %-24s %5s %6s %10s %10s %10s %8s %8s %8s" % (
                      "model", "switch", "batch", "ctx", "tok/s/seq", "tok/s_all", "limit/seq", "decode", "prefill",
                      "x batch1")]
        for s in benches:
            rows = bench_rows(s)
            lines += rows or ["%-18s %-24s %s%s" % (s["name"], switch(s), s["status"],
                                                    "" if s["status"] == "skipped" else ": " + s["last_line"][:100])]
        sbs = side_by_side(steps)
        if sbs:
            lines += ["", "side by side (the same step with each value of a switch, -Dgemma4j.cuda.*):"] + sbs
        for s in benches:
            r = batch(s, 1)
            j = s.get("figures") or {}
            if s["name"].startswith("prefill") and r:
                lines.append("%-44s prefill %s tok/s (%s of %s), ttft %s s" % (
                    s["id"], fmt(number(r.get("prefill_tokens_per_s"))), pct(number(r.get("prefill_fraction_of_limit"))),
                    fmt(number(r.get("prefill_limit_tokens_per_s"))), fmt(number(r.get("time_to_first_token_s")), 3)))
            if s["name"].startswith("budget") and r:
                lines.append("%-44s peak %.2f GiB (engine), %.2f GiB in use on the device, decode %s of limit" % (
                    s["id"], (number(j.get("peak_device_memory_bytes")) or 0) / 2**30,
                    (number(r.get("device_memory_used_bytes")) or 0) / 2**30,
                    pct(number(r.get("decode_fraction_of_limit")))))
        profiles = []
        for s in benches:
            for p in (s.get("figures") or {}).get("profiles", []):
                top = ", ".join("%s %.0f" % (k["name"], k["us_per_step"]) for k in p.get("kernels", [])[:4])
                profiles.append("%-18s %-24s %3d  step %.0f us = kernels %.0f + gaps %.0f; %s" % (
                    model_name(s["figures"]), switch(s), p["batch"],
                    p["step_us"], p["kernel_us_per_step"], p["gap_us_per_step"], top))
        if profiles:
            lines += ["", "profile (--profile: decode steps launch by launch with CUDA events; us per step, top 4):"]
            lines += profiles

    parity = [s for s in steps if s["kind"] == "parity"]
    if parity:
        lines += ["", "parity, CUDA vs CPU (relative logits error; greedy tokens agreeing):"]
        for s in parity:
            f = s.get("figures") or {}
            lines.append("  %-40s logits rel %s, agreeing %s of %s (%s)" % (
                s["id"], "-" if f.get("logits_relative_error") is None else "%.3e" % f["logits_relative_error"],
                f.get("greedy_agreeing", "-"), f.get("greedy_compared", "-"), s["status"]))

    for s in steps:
        if s["kind"] == "cublaslt":
            f = s.get("figures") or {}
            lines += ["", "cuBLASLt's log (%s): %d lines in %d files, cuBLAS's %d calls; distinct lines, most frequent"
                          " first:" % (s["id"], f.get("lines", 0), len(f.get("files", [])), f.get("cublas_calls", 0))]
            lines += ["  %4d x %s" % (d["count"], d["line"][:240]) for d in f.get("distinct", [])[:16]]
            if not f.get("lines"):
                lines.append("  no log written (the stand-in driver's cuBLAS does not log)" if mode == "dry-run"
                             else "  no log written: cuBLAS did not pick up CUBLASLT_LOG_LEVEL")
    if crashes:
        lines += ["", "JVM crash reports (in logs.tar.gz): " + ", ".join(crashes)]
    hf = [s for s in steps if s["kind"] == "hf"]
    if hf:
        lines += ["", "Hugging Face transformers on the same card:"]
        lines += ["  %-40s %s" % (s["id"], s["last_line"][:230]) for s in hf]
    return "\n".join(lines) + "\n"


def write(path, content):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(content)
    os.replace(tmp, path)


def main(work, out):
    meta = dict(kv.split("=", 1) for kv in text(os.path.join(work, "meta")).split() if "=" in kv)
    env = {}
    for line in text(os.path.join(work, "environment.tsv")).splitlines():
        if "\t" in line:
            k, v = line.split("\t", 1)
            env[k] = v
    steps = read_tsv(os.path.join(work, "steps.tsv"), STEP_FIELDS)
    for s in steps:
        base = os.path.join(work, "logs", s["id"])
        s["last_line"] = last_line(base + ".log")
        make = FIGURES.get(s["kind"])
        s["figures"] = make(s, base) if make and s["status"] != "skipped" and os.path.exists(base + ".log") else None
    started = int(meta.get("started", time.time()))
    elapsed = int(time.time()) - started
    mode = meta.get("mode", "device")
    figures = {"mode": mode, "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
               "elapsed_s": elapsed, "deadline_s": number(meta.get("deadline")), "environment": env,
               "steps": [dict(s, **{k: number(s[k]) for k in ("expected_s", "timeout_s", "budget_s", "rc", "seconds")})
                         for s in steps]}
    crashes = sorted(os.path.basename(p) for p in glob.glob(os.path.join(work, "logs", "hs_err_pid*.log")))
    figures["jvm_crash_reports"] = crashes
    write(os.path.join(out, "figures.json"), json.dumps(figures, indent=1, sort_keys=False) + "\n")
    write(os.path.join(out, "summary.txt"), summary(mode, env, steps, elapsed, meta.get("deadline", "?"), crashes))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
