"""Classifier speed and footprint, each beside a baseline measured in the same run (a ratio).

- latency: one `predict` of a 2 KB request (p50/p99) against a bare keyword lookup
  (`str.lower`, split, dict lookups) of the same text, and against the bare feature transform;
- throughput per core: `predict_many` over the validation texts on one thread, against the
  keyword lookup over the same texts;
- artefact size against the training corpus it was made from;
- resident memory of a process holding the model against the same process before loading it.

Usage: .venv/bin/python bench/bench_classifier.py [--model DIR] [--seconds 3]
Without --model (or TRIAGE_MODEL_DIR) it trains a model on the corpus first (about 10 s).
"""

import argparse
import gc
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from threadpoolctl import threadpool_limits

from app.catalogue.loader import load_catalogue
from ml import artefact
from ml.classifier import Classifier
from ml.corpus import CORPUS_ROOT, load_split
from ml.labels import AreaLabel, LabelSpace
from ml.train import train

TARGET_THROUGHPUT = 1_000.0  # requests per second per core
TARGET_P99_MS = 5.0
TARGET_ARTEFACT_MB = 50.0
REQUEST_BYTES = 2_048


def label_space() -> LabelSpace:
    catalogue = load_catalogue()
    return LabelSpace(
        areas=tuple(
            AreaLabel(a.id, a.name, a.paragraphs, {k: tuple(v) for k, v in a.keywords.items()})
            for a in catalogue.areas
        ),
        paragraph_summaries={p.number: p.summary for p in catalogue.paragraphs},
    )


def model_dir(given: str | None, scratch: Path) -> Path:
    if given:
        return Path(given)
    started = time.perf_counter()
    model = train(load_split("train"), label_space())
    artefact.save(model, scratch)
    print(f"trained a model in {time.perf_counter() - started:.1f} s")
    return scratch


def two_kb_texts(texts: list[str]) -> list[str]:
    """Requests of 2 KB (UTF-8) made by joining validation texts of one language."""
    by_language: dict[str, list[str]] = {}
    for e in load_split("validation"):
        by_language.setdefault(e.language, []).append(e.text)
    out = []
    for pool in by_language.values():
        text = ""
        for piece in pool:
            text += piece + "\n\n"
            if len(text.encode()) >= REQUEST_BYTES:
                break
        out.append(text.encode()[:REQUEST_BYTES].decode(errors="ignore"))
    return out or texts


def keyword_lookup(keywords: dict[str, str]) -> Callable[[str], str | None]:
    """The baseline: lower-case, split, look words up in a dict, take the first hit."""

    def classify(text: str) -> str | None:
        for word in text.lower().split():
            area = keywords.get(word)
            if area is not None:
                return area
        return None

    return classify


def timings(
    call: Callable[[str], object], texts: list[str], seconds: float
) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds of each call, cycling over the texts for `seconds`."""
    for text in texts:
        call(text)  # warm caches and the lazy language detector
    wall: list[float] = []
    cpu: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        for text in texts:
            start, start_cpu = time.perf_counter(), time.thread_time()
            call(text)
            cpu.append(time.thread_time() - start_cpu)
            wall.append(time.perf_counter() - start)
    return wall, cpu


def rate(call: Callable[[], object], count: int, seconds: float) -> tuple[float, float]:
    """Items per wall-clock second and per CPU second of `call`, which handles `count` items."""
    start, start_cpu, rounds = time.perf_counter(), time.thread_time(), 0
    while time.perf_counter() - start < seconds:
        call()
        rounds += 1
    wall, cpu = time.perf_counter() - start, time.thread_time() - start_cpu
    return rounds * count / wall, rounds * count / max(cpu, 1e-9)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def rss_mb(directory: Path) -> tuple[float, float]:
    """Resident memory of a fresh process before and after loading the model."""
    code = (
        "import sys, ml.classifier as c\n"
        "def rss():\n"
        "    for line in open('/proc/self/status'):\n"
        "        if line.startswith('VmRSS'): return int(line.split()[1]) / 1024\n"
        "before = rss()\n"
        "k = c.Classifier.load(sys.argv[1]); k.predict('warm up the language detector')\n"
        "print(before, rss())\n"
    )
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(
        [sys.executable, "-c", code, str(directory)],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    before, after = (float(v) for v in out.stdout.split())
    return before, after


def row(name: str, value: float, unit: str, baseline: float, verdict: str = "") -> None:
    ratio = value / baseline if baseline else float("inf")
    print(
        f"{name:<38}{value:>12.3f} {unit:<6}{baseline:>12.4f} {unit:<6}{ratio:>10.2f}x  {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=os.environ.get("TRIAGE_MODEL_DIR"))
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch, threadpool_limits(limits=1):
        directory = model_dir(args.model, Path(scratch) / "model")
        classifier = Classifier.load(directory)
        validation = [e.text for e in load_split("validation")]
        # As the api does once its model is loaded (app/main.py): the model's objects leave
        # the collector's generations, so full collections stop re-scanning them.
        gc.freeze()
        requests = two_kb_texts(validation)
        keywords = {
            w.lower(): a.id
            for a in classifier.label_space.areas
            for words in a.keywords.values()
            for w in words
        }
        baseline = keyword_lookup(keywords)
        featurizer = classifier.model.featurizer

        print(
            f"model {classifier.version}; {len(requests)} requests of {REQUEST_BYTES} bytes, "
            f"{len(validation)} validation texts; one thread; load average "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )
        print(
            "wall = elapsed time (inflated when other processes share the cores); "
            "cpu = this thread's CPU time"
        )
        print(f"{'measure':<38}{'model':>12} {'':<6}{'baseline':>12} {'':<6}{'ratio':>10}")
        model_wall, model_cpu = timings(classifier.predict, requests, args.seconds)
        base_wall, base_cpu = timings(baseline, requests, args.seconds / 3)
        _, bare_cpu = timings(lambda t: featurizer.transform([t]), requests, args.seconds / 3)
        for label, model_t, base_t in (
            ("wall", model_wall, base_wall),
            ("cpu", model_cpu, base_cpu),
        ):
            p50, p99 = percentile(model_t, 0.5) * 1e3, percentile(model_t, 0.99) * 1e3
            row(f"latency p50 2 KB, {label} (vs lookup)", p50, "ms", percentile(base_t, 0.5) * 1e3)
            row(
                f"latency p99 2 KB, {label} (vs lookup)",
                p99,
                "ms",
                percentile(base_t, 0.99) * 1e3,
                "ok" if p99 <= TARGET_P99_MS else f"over {TARGET_P99_MS} ms",
            )
        row(
            "latency p50 2 KB, cpu (vs transform)",
            percentile(model_cpu, 0.5) * 1e3,
            "ms",
            percentile(bare_cpu, 0.5) * 1e3,
        )

        def batches() -> None:
            for begin in range(0, len(validation), 64):
                classifier.predict_many(validation[begin : begin + 64])

        def lookups() -> None:
            for text in validation:
                baseline(text)

        model_rate = rate(batches, len(validation), args.seconds)
        base_rate = rate(lookups, len(validation), args.seconds / 3)
        big_rate = rate(
            lambda: classifier.predict_many(requests * 8), len(requests) * 8, args.seconds
        )
        for name, (wall_rate, cpu_rate) in (("validation", model_rate), ("2 KB", big_rate)):
            for label, value, base in (
                ("wall", wall_rate, base_rate[0]),
                ("cpu", cpu_rate, base_rate[1]),
            ):
                row(
                    f"throughput/core {name}, {label}",
                    value,
                    "req/s",
                    base,
                    "ok" if value >= TARGET_THROUGHPUT else f"under {TARGET_THROUGHPUT:.0f}/s",
                )

        size = (directory / artefact.MODEL_FILE).stat().st_size / 2**20
        corpus = sum(p.stat().st_size for p in (CORPUS_ROOT / "train").glob("*.jsonl")) / 2**20
        row(
            "artefact size (vs train corpus)",
            size,
            "MB",
            corpus,
            "ok" if size <= TARGET_ARTEFACT_MB else f"OVER {TARGET_ARTEFACT_MB:.0f} MB",
        )
        before, after = rss_mb(directory)
        row("RSS holding the model", after, "MB", before)


if __name__ == "__main__":
    main()
