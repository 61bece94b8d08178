"""Voice turns: synthesise ``speak`` text with espeak-ng, and score transcripts with word error rate.

espeak-ng's robotic voice is harder for Whisper than a person, so WER measured this way is pessimistic
(see ../shared/notes/offline-models.md); it still catches regressions in the ASR path.
"""

from __future__ import annotations

from dataclasses import dataclass

import jiwer

from evals.synthetic_speech import SyntheticVoice, encode, missing_tools, speak, with_silence

# Compare words, not formatting: Whisper writes "Yes." where the scenario says "yes".
_WER_NORMALISE = jiwer.Compose([
    jiwer.ToLowerCase(),
    jiwer.RemovePunctuation(),
    jiwer.RemoveMultipleSpaces(),
    jiwer.Strip(),
    jiwer.ReduceToListOfListOfWords(),
])


def word_error_rate(reference: str, hypothesis: str) -> float:
    """WER of ``hypothesis`` against ``reference`` after lowercasing and dropping punctuation."""
    if not _WER_NORMALISE(reference)[0]:
        raise ValueError("WER needs a reference with at least one word")
    return float(jiwer.wer(reference, hypothesis, reference_transform=_WER_NORMALISE,
                           hypothesis_transform=_WER_NORMALISE))


class SpeechUnavailable(RuntimeError):
    """espeak-ng or ffmpeg is missing; the message says how to get them or how to run without them."""


@dataclass(frozen=True)
class Recording:
    """One spoken turn as the widget would upload it."""

    filename: str
    content_type: str
    data: bytes


class SpeechSynthesizer:
    """Speaks ``speak:`` texts with espeak-ng and encodes them as a browser's MediaRecorder would (webm/opus).

    Synthesis is :mod:`evals.synthetic_speech` (shared with the ASR tests and benchmark); each distinct
    text is synthesised once per run, since repeats and trials say the same words.
    """

    def __init__(self, voice: SyntheticVoice | None = None) -> None:
        self.voice = voice or SyntheticVoice()
        self._cache: dict[str, Recording] = {}

    def recording(self, text: str) -> Recording:
        if text not in self._cache:
            if missing := missing_tools():
                raise SpeechUnavailable(
                    f"speak turns need {' and '.join(missing)} (Debian: apt-get install espeak-ng ffmpeg); "
                    "or run with --speak-as-text to send their text instead"
                )
            samples = with_silence(speak(text, self.voice))
            self._cache[text] = Recording("speech.webm", "audio/webm", encode(samples, "webm"))
        return self._cache[text]
