"""ASR benchmark: word error rate and latency of the voice pipeline (one command).

    .venv/bin/python -m bench.asr_bench                # everything (~9 min on 2 quiet cores)
    .venv/bin/python -m bench.asr_bench --quick        # a smoke run: 4 commands, 1 voice, 2 server turns
    .venv/bin/python -m bench.asr_bench --threads 2    # ASR thread budget to measure with

Three parts, each printed as a Markdown table:

1. Generated commands: 60 shopping commands (24 the prompt was tuned on, 36 held out) spoken by 3 espeak-ng
   voices at different speeds (180 clips), encoded as webm/opus like a browser, clean and mixed with white
   noise at 10 dB SNR, each transcribed with and without the domain vocabulary (prompt: template + the seeded
   catalog's categories and brands; then misheard brand names corrected, also scored without). WER is
   computed with jiwer after Whisper's own English normaliser ("fifty dollars" and "$50" are the same;
   "check out" and "checkout" too).
2. Real human speech from ``../shared/data/speech`` (skipped with a message when absent).
3. End to end: ``POST /api/voice`` with a 3-second webm command through the real app (embedded LLM,
   in-process shop), per stage (asr, llm, tools, total): one cold turn, then warm turns.

The shop is seeded into a temporary folder; only the bundled LLM is cached in ``var/models`` as the
server itself does. espeak-ng's voices are robotic, so these WERs are pessimistic for human speech.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import jiwer
import numpy as np
from whisper_normalizer.english import EnglishTextNormalizer

from evals.metrics import percentile
from evals.synthetic_speech import SyntheticVoice, encode, missing_tools, speak, with_noise, with_silence
from voice.asr import AsrOptions, Transcriber
from voice.audio import AudioLimits, decode_audio
from voice.prompt import CatalogVocabulary, fetch_catalog_vocabulary

SHARED_SPEECH = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "speech"

# The prompt template (prompts/asr_prompt.txt) and the name-correction thresholds were adjusted while looking
# at these 24 commands' mistakes...
TUNING_COMMANDS = (
    "show me running shoes under fifty dollars",
    "find wireless headphones from Sonari",
    "add the second one to my cart",
    "what is in my cart",
    "remove the backpack from my cart",
    "show me Zentro laptops under one thousand dollars",
    "do you have Brewista coffee makers",
    "compare the first two smartwatches",
    "add two of the blue t-shirts in size medium",
    "where is my order",
    "cancel my last order",
    "recommend some skincare for dry skin",
    "show me Kicksmith sneakers in white",
    "I need a rain jacket from Nordpeak",
    "what speakers do you have from Boomcraft",
    "find a cast iron pan from Ironhold",
    "checkout please",
    "yes place the order",
    "show me toys for a five year old",
    "how do I return an item",
    "find Velvetine lipstick in red",
    "show me fitness equipment under one hundred dollars",
    "find Greenthumb gardening tools",
    "show me Pixelon smartphones sorted by rating",
)
# ...and these 36 were written afterwards, before any run, and never tuned on: their WER is the honest one.
# Brands: the alphabetically first of each category (whether or not it fits in Whisper's prompt window).
HELD_OUT_COMMANDS = (
    "show me Carryall backpacks for school",
    "find a hiking backpack under eighty dollars",
    "do you have books from Bluequill Press",
    "I want a Barista Lab espresso machine",
    "show me non stick frying pans",
    "find Corecraft dumbbells",
    "I need a garden hose from Bloomfield",
    "show me shampoo for curly hair",
    "find Auralis earbuds under one hundred dollars",
    "show me Alpenglow winter jackets in black",
    "I want slim fit jeans in size thirty four",
    "find a blender from Ferro Kitchen",
    "show me Aperion laptops with sixteen gigabytes of memory",
    "find Glowlab foundation",
    "show me Kestrel Sport trail running shoes",
    "recommend a moisturizer for sensitive skin",
    "show me smart plugs that work with my phone",
    "find Kairo phones under three hundred dollars",
    "show me a smartwatch with heart rate tracking",
    "find Brixton Row sneakers in size nine",
    "show me portable bluetooth speakers",
    "find Cottonfield t-shirts in green",
    "show me building blocks for kids",
    "tell me more about the first one",
    "add the third one to my cart",
    "add three of those to my cart",
    "change the quantity to two",
    "remove everything from my cart",
    "how much is shipping",
    "can I pay with paypal",
    "what is your return policy",
    "track my order please",
    "show me my past orders",
    "no I changed my mind",
    "I want to talk to a real person",
    "sort them by price from low to high",
)
COMMANDS = TUNING_COMMANDS + HELD_OUT_COMMANDS
VOICES = (
    SyntheticVoice("en-us", 165),
    SyntheticVoice("en-gb-x-rp", 140, pitch=40),
    SyntheticVoice("en-us+f3", 190, pitch=60),
)
REAL_CLIPS = {  # file → (reference transcript from SOURCES.md beside the clips, how to score it)
    "whisper_jfk.flac": (("And so my fellow Americans, ask not what your country can do for you, "
                         "ask what you can do for your country."), "words"),
    # Digit strings have many right spellings ("1-0-0-0-1", "10001", "one oh oh..."): compare the digits.
    "vosk_test.wav": ("one zero zero zero one nine oh two one oh zero one eight zero three", "digits"),
}
_DIGIT_WORDS = {"zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
                "six": "6", "seven": "7", "eight": "8", "nine": "9"}
E2E_COMMAND = "show me running shoes under fifty dollars"
NOISE_SNR_DB = 10.0


@dataclass(frozen=True)
class BenchOptions:
    """What to run: ``quick`` trims every part to a smoke test."""

    threads: int = AsrOptions().cpu_threads
    quick: bool = False
    e2e_turns: int = 3
    end_to_end: bool = True


@dataclass
class Condition:
    """One recognition setting and what it measured over every clip."""

    name: str
    noisy: bool
    prompted: bool
    references: list[str] = field(default_factory=list)
    hypotheses: list[str] = field(default_factory=list)
    voices: list[str] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    heard: list[str] = field(default_factory=list)  # before catalog names were corrected


_whisper_normaliser = EnglishTextNormalizer()


def _normalise(text: str) -> str:
    """Whisper's English normaliser, plus "check out" = "checkout": the verb and the noun are both fine."""
    return _whisper_normaliser(text).replace("check out", "checkout")


def word_error_rate(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    """Corpus WER after Whisper's English normalisation (numbers, spelling, punctuation)."""
    return jiwer.wer([_normalise(text) for text in references], [_normalise(text) or "-" for text in hypotheses])


def digits_only(text: str) -> str:
    """The digits a transcript spells, whether written as numerals or as words."""
    spaced = "".join(c if c.isalnum() else " " for c in text.lower())
    return "".join(_DIGIT_WORDS.get(token, "".join(c for c in token if c.isdigit())) for token in spaced.split())


def digit_error_rate(reference: str, hypothesis: str) -> float:
    """Character error rate over the digit sequences (insertions, deletions, substitutions)."""
    return jiwer.cer(digits_only(reference), digits_only(hypothesis) or "-")


def machine_line(threads: int) -> str:
    """Which machine the figures come from; the load average shows how busy it was."""
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return (f"Machine: {os.cpu_count()} cores ({model}), load average at start {load}; "
            f"ASR threads {threads}; Python {sys.version.split()[0]}")


# ── part 1: generated commands ─────────────────────────────────────────────────────────────────────────

def generated_commands(options: BenchOptions, vocabulary: CatalogVocabulary) -> list[Condition]:
    """Transcribe every generated clip under the four conditions."""
    commands = TUNING_COMMANDS[:2] + HELD_OUT_COMMANDS[:2] if options.quick else COMMANDS
    voices = VOICES[:1] if options.quick else VOICES
    base = AsrOptions(cpu_threads=options.threads)
    primed = Transcriber(base)
    primed.use_vocabulary(vocabulary)
    plain = Transcriber(replace(base, domain_prompt=False))
    conditions = [Condition(f"{'noise 10 dB' if noisy else 'clean'}, {'domain prompt' if prompted else 'no prompt'}",
                            noisy, prompted)
                  for noisy in (False, True) for prompted in (True, False)]
    limits = AudioLimits()
    for index, (voice, command) in enumerate((voice, command) for voice in voices for command in commands):
        clean = with_silence(speak(command, voice))
        recordings = {False: encode(clean, "webm"), True: encode(with_noise(clean, NOISE_SNR_DB, seed=index), "webm")}
        for condition in conditions:
            transcriber = primed if condition.prompted else plain
            started = time.perf_counter()
            samples = decode_audio(recordings[condition.noisy], limits).samples
            transcription = transcriber.transcribe(samples)
            condition.seconds.append(time.perf_counter() - started)
            condition.references.append(command)
            condition.hypotheses.append(transcription.text)
            condition.heard.append(transcription.heard)
            condition.voices.append(voice.label)
        print(f"  {index + 1}/{len(voices) * len(commands)} {voice.label}: {command!r} → "
              f"{conditions[0].hypotheses[-1]!r}", file=sys.stderr, flush=True)
    return conditions


def _wer_cell(references: Sequence[str], hypotheses: Sequence[str]) -> str:
    return f"{100 * word_error_rate(references, hypotheses):.1f} %" if references else "–"


def conditions_table(conditions: list[Condition]) -> str:
    """WER and latency per condition (all commands, tuning set, held-out set), then WER per voice.

    A prompted condition gets a second row scored on Whisper's own words, before name correction.
    """
    rows = ["| condition | clips | WER all | WER tuning commands | WER held-out commands | commands fully right "
            "| ASR median s | ASR p90 s |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    held_out = set(HELD_OUT_COMMANDS)
    for condition in conditions:
        variants = [(condition.name, condition.hypotheses)]
        if condition.prompted:
            variants.append((f"{condition.name}, names not corrected", condition.heard))
        for name, hypotheses in variants:
            pairs = list(zip(condition.references, hypotheses, strict=True))
            right = sum(_normalise(ref) == _normalise(hyp) for ref, hyp in pairs)
            tuning = [(r, h) for r, h in pairs if r not in held_out]
            later = [(r, h) for r, h in pairs if r in held_out]
            rows.append(f"| {name} | {len(pairs)} | {_wer_cell(condition.references, hypotheses)} "
                        f"| {_wer_cell([r for r, _ in tuning], [h for _, h in tuning])} "
                        f"| {_wer_cell([r for r, _ in later], [h for _, h in later])} "
                        f"| {right}/{len(pairs)} | {statistics.median(condition.seconds):.2f} "
                        f"| {percentile(condition.seconds, 90):.2f} |")
    voices = list(dict.fromkeys(conditions[0].voices))
    rows += ["", "| voice@words per minute | " + " | ".join(c.name for c in conditions) + " |",
             "|---|" + "---:|" * len(conditions)]
    for voice in voices:
        cells = []
        for condition in conditions:
            pairs = [(r, h) for r, h, v in zip(condition.references, condition.hypotheses, condition.voices) if v == voice]
            cells.append(f"{100 * word_error_rate([r for r, _ in pairs], [h for _, h in pairs]):.1f} %")
        rows.append(f"| {voice} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def worst_mistakes(condition: Condition, count: int = 8) -> str:
    """The clips the given condition got most wrong, to show what kind of errors remain."""
    scored = sorted(zip(condition.references, condition.hypotheses, condition.voices),
                    key=lambda item: -jiwer.wer(_normalise(item[0]), _normalise(item[1]) or "-"))
    lines = [f"Worst clips ({condition.name}):"]
    lines += [f"- {voice}: \"{ref}\" → \"{hyp}\"" for ref, hyp, voice in scored[:count]
              if _normalise(ref) != _normalise(hyp)]
    return "\n".join(lines)


# ── part 2: real human speech ──────────────────────────────────────────────────────────────────────────

def real_clips(options: BenchOptions, vocabulary: CatalogVocabulary) -> str:
    """Transcribe the shared human clips with the production settings."""
    if not SHARED_SPEECH.is_dir():
        return f"(real speech clips skipped: {SHARED_SPEECH} not found)"
    transcriber = Transcriber(AsrOptions(cpu_threads=options.threads))
    transcriber.use_vocabulary(vocabulary)
    rows = ["| clip | length s | ASR s | error rate | transcript |", "|---|---:|---:|---:|---|"]
    for name, (reference, scoring) in REAL_CLIPS.items():
        path = SHARED_SPEECH / name
        if not path.exists():
            rows.append(f"| {name} | | | | (missing) |")
            continue
        started = time.perf_counter()
        audio = decode_audio(path.read_bytes(), AudioLimits())
        text = transcriber.transcribe(audio.samples).text
        seconds = time.perf_counter() - started
        error = (f"{100 * word_error_rate([reference], [text]):.1f} % WER" if scoring == "words"
                 else f"{100 * digit_error_rate(reference, text):.1f} % of digits")
        rows.append(f"| {name} | {audio.seconds:.1f} | {seconds:.2f} | {error} | {text} |")
    return "\n".join(rows)


# ── part 3: end to end through the server ─────────────────────────────────────────────────────────────

async def end_to_end(options: BenchOptions, data_dir: Path) -> tuple[CatalogVocabulary, str]:
    """POST a 3-second webm command to /api/voice of the real app; returns the catalog vocabulary too."""
    from agent.llm import bundled_model_path
    from app.main import create_app
    from app.settings import load_settings
    from shop.db import Database
    from shop.seed import seed_database

    # No background catalog embedding: it would compete for the cores with the turns being timed.
    settings = load_settings(data_dir=data_dir, warm_indexes=False)
    if settings.llm.embedded and settings.llm.model_path is None:  # reuse the server's assembled model file
        settings = settings.replace(model_path=bundled_model_path(load_settings().app.data_dir))
    database = Database(settings.app.shop_database_url)
    database.create_schema()
    seed_database(database, products=2000, customers=200, seed=7)  # the demo shop `voiceshop serve` seeds
    database.engine.dispose()
    samples = with_silence(speak(E2E_COMMAND), before_s=0.2, after_s=0.2)
    samples = np.concatenate([samples, np.zeros(max(0, 3 * 16_000 - len(samples)), np.float32)])
    recording = encode(samples, "webm")
    app = create_app(settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=300) as client:
        vocabulary = await fetch_catalog_vocabulary(app.state.shop_http)
        if not options.end_to_end:
            return vocabulary, "(end-to-end part skipped)"
        login = await client.post("/api/login", json={"login": "demo"})
        client.headers["Authorization"] = f"Bearer {login.json()['token']}"
        turns: list[dict[str, Any]] = []
        for _ in range(1 + (2 if options.quick else options.e2e_turns)):
            started = time.perf_counter()
            response = await client.post("/api/voice", files={"audio": ("turn.webm", recording, "audio/webm")})
            wall = time.perf_counter() - started
            if response.status_code != 200:
                raise SystemExit(f"/api/voice answered {response.status_code}: {response.text}")
            body = response.json()
            turns.append({**body["timings"], "wall": wall, "transcript": body["transcript"],
                          "actions": [action["tool"] for action in body["actions"]]})
    cold, warm = turns[0], turns[1:]
    stages = ("asr", "llm", "tools", "total", "wall")
    llm = f"embedded {settings.llm.model_path.name}" if settings.llm.embedded and settings.llm.model_path else "remote"
    rows = [(f"Recording: {len(samples) / 16_000:.1f} s webm/opus, \"{E2E_COMMAND}\"; LLM: {llm} "
            f"({settings.llm.llm_threads} threads); ASR threads {app.state.transcriber.options.cpu_threads}"),
            "", "| turn | " + " | ".join(stages) + " | transcript | actions |",
            "|---|" + "---:|" * len(stages) + "---|---|",
            "| first (cold: loads Whisper) | " + " | ".join(f"{cold.get(s, 0):.2f}" for s in stages)
            + f" | {cold['transcript']} | {', '.join(cold['actions']) or 'reply'} |",
            f"| warm, median of {len(warm)} | "
            + " | ".join(f"{statistics.median(t.get(s, 0) for t in warm):.2f}" for s in stages)
            + f" | {warm[-1]['transcript']} | {', '.join(warm[-1]['actions']) or 'reply'} |",
            f"| warm, worst of {len(warm)} | " + " | ".join(f"{max(t.get(s, 0) for t in warm):.2f}" for s in stages)
            + " | | |"]
    return vocabulary, "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.asr_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=BenchOptions.threads, help="ASR cpu_threads (default 1)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: a few clips and turns")
    parser.add_argument("--e2e-turns", type=int, default=BenchOptions.e2e_turns, help="warm /api/voice turns")
    parser.add_argument("--no-e2e", action="store_true", help="skip the end-to-end server part")
    args = parser.parse_args(argv)
    options = BenchOptions(threads=args.threads, quick=args.quick, e2e_turns=args.e2e_turns,
                           end_to_end=not args.no_e2e)
    if missing := missing_tools():
        print(f"needs {', '.join(missing)}: apt-get install espeak-ng ffmpeg", file=sys.stderr)
        return 2

    print(machine_line(options.threads))
    with tempfile.TemporaryDirectory(prefix="asr-bench-") as folder:
        print("\n## End to end: POST /api/voice\n", flush=True)
        vocabulary, e2e_table = asyncio.run(end_to_end(options, Path(folder)))
        print(e2e_table)
    print(f"\n## Generated commands (Whisper tiny.en int8, beam 5, VAD; webm/opus; noise: white, "
          f"{NOISE_SNR_DB:g} dB SNR)\n", flush=True)
    conditions = generated_commands(options, vocabulary)
    print(conditions_table(conditions))
    print()
    print(worst_mistakes(conditions[0]))
    print("\n## Real human speech (../shared/data/speech)\n")
    print(real_clips(options, vocabulary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
