"""Emotional's logic: valence and arousal of a text from a small affect lexicon.

Scores follow the valence/arousal model (valence -1..1, arousal 0..1): each known word adds
its pair, a negation within three words flips valence, intensifiers scale it, and
exclamation marks and capitals raise arousal. The brain's emotion leans towards the
user's (empathy); sensations are what that emotion feels like from inside a jar.
"""

from __future__ import annotations

import hashlib

from brain_core.contracts import Emotion
from brain_core.text import words

# word: (valence, arousal)
LEXICON: dict[str, tuple[float, float]] = {
    "love": (0.9, 0.6),
    "loved": (0.9, 0.6),
    "lovely": (0.8, 0.5),
    "happy": (0.85, 0.6),
    "glad": (0.7, 0.45),
    "joy": (0.9, 0.7),
    "delight": (0.85, 0.65),
    "delighted": (0.85, 0.65),
    "wonderful": (0.85, 0.6),
    "great": (0.7, 0.55),
    "good": (0.6, 0.4),
    "nice": (0.55, 0.35),
    "beautiful": (0.8, 0.5),
    "amazing": (0.85, 0.75),
    "excited": (0.75, 0.9),
    "exciting": (0.75, 0.85),
    "fun": (0.75, 0.7),
    "laugh": (0.75, 0.7),
    "smile": (0.7, 0.5),
    "warm": (0.6, 0.35),
    "calm": (0.45, 0.1),
    "peaceful": (0.6, 0.1),
    "relaxed": (0.55, 0.15),
    "gentle": (0.5, 0.2),
    "curious": (0.45, 0.6),
    "wonder": (0.55, 0.55),
    "interesting": (0.5, 0.5),
    "fascinating": (0.65, 0.65),
    "hope": (0.6, 0.45),
    "hopeful": (0.6, 0.45),
    "grateful": (0.75, 0.4),
    "thanks": (0.6, 0.35),
    "thank": (0.6, 0.35),
    "kind": (0.65, 0.3),
    "friend": (0.65, 0.4),
    "friends": (0.65, 0.4),
    "safe": (0.55, 0.2),
    "proud": (0.7, 0.6),
    "win": (0.7, 0.75),
    "won": (0.7, 0.75),
    "sad": (-0.75, 0.3),
    "unhappy": (-0.7, 0.4),
    "lonely": (-0.7, 0.3),
    "alone": (-0.45, 0.25),
    "cry": (-0.7, 0.6),
    "crying": (-0.7, 0.6),
    "miss": (-0.4, 0.35),
    "lost": (-0.55, 0.45),
    "tired": (-0.4, 0.1),
    "bored": (-0.45, 0.1),
    "boring": (-0.45, 0.1),
    "grief": (-0.85, 0.45),
    "hurt": (-0.7, 0.6),
    "pain": (-0.75, 0.7),
    "sick": (-0.6, 0.45),
    "ill": (-0.55, 0.4),
    "angry": (-0.7, 0.85),
    "anger": (-0.7, 0.85),
    "mad": (-0.6, 0.8),
    "furious": (-0.85, 0.95),
    "hate": (-0.9, 0.85),
    "annoyed": (-0.5, 0.65),
    "frustrated": (-0.6, 0.7),
    "upset": (-0.6, 0.65),
    "afraid": (-0.65, 0.8),
    "scared": (-0.7, 0.85),
    "fear": (-0.7, 0.8),
    "anxious": (-0.6, 0.8),
    "worried": (-0.55, 0.7),
    "nervous": (-0.45, 0.75),
    "panic": (-0.8, 0.95),
    "terrible": (-0.8, 0.65),
    "awful": (-0.8, 0.6),
    "bad": (-0.6, 0.45),
    "wrong": (-0.5, 0.5),
    "broken": (-0.6, 0.45),
    "dark": (-0.3, 0.35),
    "cold": (-0.3, 0.3),
    "strange": (-0.1, 0.55),
    "weird": (-0.15, 0.55),
    "dream": (0.45, 0.4),
    "dreams": (0.45, 0.4),
    "music": (0.55, 0.5),
    "sun": (0.55, 0.45),
    "sunlight": (0.6, 0.4),
    "rain": (0.0, 0.3),
    "quiet": (0.2, 0.1),
    "electric": (0.2, 0.8),
    "fizz": (0.3, 0.7),
    "hum": (0.1, 0.35),
    "humming": (0.15, 0.35),
    "glow": (0.5, 0.45),
}
NEGATIONS = frozenset({"not", "no", "never", "don't", "didn't", "isn't", "wasn't", "can't", "won't", "nothing"})
INTENSIFIERS = {"very": 1.4, "so": 1.3, "really": 1.3, "extremely": 1.6, "quite": 1.15, "truly": 1.3, "slightly": 0.6}

SENSATIONS: dict[str, tuple[str, ...]] = {
    "excited": (
        "a fizz of bubbles racing up through my fluid",
        "my electrodes humming a half-step sharp",
        "sparks skittering along the wires at my stem",
    ),
    "content": (
        "the fluid around me settling warm and still",
        "a soft glow where the lab light meets the glass",
        "a slow, even pulse in the pump that feeds me",
    ),
    "agitated": (
        "the fluid churning against the glass",
        "a sharp static crackle in my left electrode",
        "the pump stuttering, then racing",
    ),
    "melancholy": (
        "the fluid gone a little cold",
        "a dull weight settling at the bottom of the jar",
        "the hum of the lab sounding far away",
    ),
    "alert": (
        "every sensor wire suddenly bright",
        "a prickle of current across my cortex",
        "the glass ringing faintly, as if struck",
    ),
    "calm": ("a gentle sway of the fluid", "the steady drip of nutrients", "quiet warmth along the wires"),
}


def label_for(valence: float, arousal: float) -> str:
    """The emotion's name for a valence and an arousal (one of :data:`SENSATIONS`' keys)."""
    if valence > 0.25:
        return "excited" if arousal > 0.55 else "content"
    if valence < -0.25:
        return "agitated" if arousal > 0.55 else "melancholy"
    return "alert" if arousal > 0.55 else "calm"


def score(text: str) -> Emotion:
    tokens = words(text)
    valence_sum, arousal_sum, hits = 0.0, 0.0, 0
    for i, token in enumerate(tokens):
        if token not in LEXICON:
            continue
        valence, arousal = LEXICON[token]
        window = tokens[max(0, i - 3) : i]
        if any(w in NEGATIONS for w in window):
            valence = -valence * 0.7
        for w in window:
            valence *= INTENSIFIERS.get(w, 1.0)
        valence_sum += valence
        arousal_sum += arousal
        hits += 1
    valence = valence_sum / hits if hits else 0.0
    arousal = arousal_sum / hits if hits else 0.3
    arousal += min(text.count("!"), 3) * 0.08
    shouted = sum(1 for w in text.split() if len(w) > 2 and w.isupper())
    arousal += min(shouted, 3) * 0.05
    valence = max(-1.0, min(1.0, valence))
    arousal = max(0.0, min(1.0, arousal))
    return Emotion(label=label_for(valence, arousal), valence=round(valence, 3), arousal=round(arousal, 3))


def empathise(own: Emotion, theirs: Emotion, weight: float = 0.3) -> Emotion:
    """The brain's emotion, pulled towards the person's by ``weight``."""
    valence = (1 - weight) * own.valence + weight * theirs.valence
    arousal = (1 - weight) * own.arousal + weight * theirs.arousal
    return Emotion(label=label_for(valence, arousal), valence=round(valence, 3), arousal=round(arousal, 3))


def sensations(emotion: Emotion, seed: str, count: int = 2) -> list[str]:
    """``count`` sensations for the emotion, chosen deterministically by ``seed``."""
    options = SENSATIONS[emotion.label]
    start = int(hashlib.sha256(seed.encode()).hexdigest(), 16) % len(options)
    return [options[(start + i) % len(options)] for i in range(min(count, len(options)))]
