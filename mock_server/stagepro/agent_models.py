"""The AI design agent, emulated deterministically: a designer that reads the user's wishes
(style, room type, colours, furniture) from each message, keeps a design brief, and becomes
``readyToRender`` once the brief has a style and a room type and the user confirms.

Pure: no Starlette, no I/O, no randomness. The same conversation always gets the same
replies; phrasing variants are chosen with a hash of the conversation so far."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace

from ..core.clock import iso
from ..jsontypes import JsonObject
from ..limits import AGENT_SESSION_TTL_SECONDS

SESSION_TTL = AGENT_SESSION_TTL_SECONDS

STYLE_WORDS = {
    "modern": ("modern", "contemporary", "sleek"),
    "scandinavian": ("scandinavian", "scandi", "nordic", "hygge"),
    "industrial": ("industrial", "loft", "exposed brick"),
    "minimalist": ("minimalist", "minimal", "clean lines", "clutter-free"),
    "coastal": ("coastal", "beach", "nautical", "hamptons"),
    "farmhouse": ("farmhouse", "country", "barn"),
    "mid-century": ("mid-century", "midcentury", "mid century", "retro", "60s", "eames"),
    "luxury": ("luxury", "luxurious", "glam", "opulent", "high-end", "upscale"),
    "bohemian": ("bohemian", "boho", "eclectic"),
    "traditional": ("traditional", "classic", "timeless"),
    "japandi": ("japandi", "japanese", "zen", "wabi-sabi"),
    "rustic": ("rustic", "cabin", "reclaimed wood"),
}
ROOM_WORDS = {
    "living-room": ("living room", "living-room", "lounge", "family room", "sitting room"),
    "bedroom": ("bedroom", "master suite", "guest room"),
    "kitchen": ("kitchen",),
    "dining-room": ("dining room", "dining-room", "dining area"),
    "bathroom": ("bathroom", "ensuite", "en-suite", "powder room"),
    "home-office": ("office", "study", "workspace", "home-office"),
    "kids-room": ("kids room", "kids-room", "nursery", "playroom", "children"),
    "outdoor": ("patio", "terrace", "garden", "backyard", "balcony", "deck", "outdoor"),
}
COLORS = (
    "white", "cream", "beige", "gray", "grey", "charcoal", "black", "navy", "blue", "teal",
    "green", "sage", "olive", "terracotta", "rust", "orange", "yellow", "mustard", "gold",
    "brass", "pink", "blush", "red", "burgundy", "purple", "oak", "walnut", "wood", "natural",
)
FURNITURE = (
    "sofa", "couch", "sectional", "armchair", "chair", "coffee table", "dining table", "table",
    "rug", "lamp", "bed", "headboard", "desk", "bookshelf", "shelves", "plant", "plants",
    "curtains", "mirror", "artwork", "art", "ottoman", "sideboard", "tv stand", "bench",
    "nightstand", "dresser", "pendant", "chandelier", "cushions",
)
CONFIRM = (
    "yes", "yeah", "yep", "sure", "go ahead", "render", "let's do it", "lets do it",
    "looks good", "sounds good", "perfect", "do it", "confirm", "ready", "love it", "ok", "okay",
)
NEGATION = ("no", "not yet", "wait", "hold on", "don't", "do not")


def _has(text: str, phrase: str) -> bool:
    return re.search(r"(?<![\w-])" + re.escape(phrase) + r"(?![\w-])", text) is not None


def _pick(options: list[str], *parts: object) -> str:
    digest = hashlib.blake2b("\x00".join(map(str, parts)).encode(), digest_size=4).digest()
    return options[int.from_bytes(digest, "big") % len(options)]


@dataclass(frozen=True)
class Brief:
    style: str | None = None
    room_type: str | None = None
    colors: tuple[str, ...] = ()
    furniture: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return self.style is not None and self.room_type is not None

    def as_json(self) -> JsonObject:
        return {"style": self.style, "room_type": self.room_type,
                "colors": list(self.colors), "furniture": list(self.furniture)}


@dataclass(frozen=True)
class Wishes:
    style: str | None
    room_type: str | None
    colors: tuple[str, ...]
    furniture: tuple[str, ...]
    confirms: bool
    declines: bool


def read_wishes(message: str) -> Wishes:
    text = message.lower()

    def first(table: dict[str, tuple[str, ...]]) -> str | None:
        hits = []
        for key, words in table.items():
            for w in words:
                m = re.search(r"(?<![\w-])" + re.escape(w) + r"(?![\w-])", text)
                if m:
                    hits.append((m.start(), key))
        return min(hits)[1] if hits else None

    colors = tuple(c for c in COLORS if _has(text, c))
    furniture: list[str] = []
    for f in FURNITURE:
        if _has(text, f) and not any(f in g for g in furniture):
            furniture.append(f)
    declines = any(_has(text, n) for n in NEGATION)
    confirms = not declines and any(_has(text, c) for c in CONFIRM)
    return Wishes(first(STYLE_WORDS), first(ROOM_WORDS), colors, tuple(furniture), confirms,
                  declines)


@dataclass(frozen=True)
class Turn:
    role: str
    content: str
    id: str


@dataclass
class Session:
    id: str
    account_key: str
    image_url: str | None
    upload_id: str | None
    auto_render: bool
    created_at: float
    expires_at: float
    brief: Brief = field(default_factory=Brief)
    ready: bool = False
    render_job_id: str | None = None
    history: list[Turn] = field(default_factory=list)
    #: The render of each session state (the job body it creates) → its first response
    #: bytes: rendering the same state again answers the same job, charged once.
    renders: dict[str, bytes] = field(default_factory=dict)

    def expired(self, now: float) -> bool:
        return now >= self.expires_at

    def as_json(self, now: float) -> JsonObject:
        return {
            "id": self.id,
            "object": "agent_session",
            "status": "expired" if self.expired(now) else "active",
            "image_url": self.image_url,
            "upload_id": self.upload_id,
            "auto_render": self.auto_render,
            "readyToRender": self.ready,
            "render_job_id": self.render_job_id,
            "messages_count": len(self.history),
            "design_brief": self.brief.as_json(),
            "created_at": iso(self.created_at),
            "expires_at": iso(self.expires_at),
        }


@dataclass(frozen=True)
class Reply:
    content: str
    brief: Brief
    ready: bool
    became_ready: bool


def _merge(brief: Brief, w: Wishes) -> Brief:
    return replace(
        brief,
        style=w.style or brief.style,
        room_type=w.room_type or brief.room_type,
        colors=brief.colors + tuple(c for c in w.colors if c not in brief.colors),
        furniture=brief.furniture + tuple(f for f in w.furniture if f not in brief.furniture),
    )


def _a(word: str) -> str:
    """``word`` with its indefinite article: "an industrial", "a modern"."""
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


def refused_render(reason: str) -> str:
    """What the designer says when ``auto_render`` could not create the render job."""
    return (f"I couldn't start the render, though: {reason}. "
            "Call render once that is fixed; the design is kept.")


def _describe(brief: Brief) -> str:
    room = (brief.room_type or "room").replace("-", " ")
    parts = [_a(f"{brief.style} {room}") if brief.style else f"the {room}"]
    if brief.colors:
        parts.append("in " + _join(brief.colors))
    if brief.furniture:
        parts.append("with " + _join(brief.furniture))
    return " ".join(parts)


def _join(items: tuple[str, ...]) -> str:
    items = tuple(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def respond(session: Session, message: str) -> Reply:
    """The designer's answer to ``message`` given the conversation so far (pure)."""
    w = read_wishes(message)
    brief = _merge(session.brief, w)
    turn = len(session.history)
    seed = (turn, message, brief, tuple(t.content for t in session.history if t))
    heard = []
    if w.style:
        heard.append(_a(f"{w.style} style"))
    if w.room_type:
        heard.append(f"the {w.room_type.replace('-', ' ')}")
    if w.colors:
        heard.append(_join(w.colors) + " tones")
    if w.furniture:
        heard.append(_join(w.furniture))
    # One opener per reply: what was heard, a greeting on the first turn, else a plain
    # acknowledgement, which gives way to the body's own opener ("Perfect.", "No problem").
    acknowledged = not heard and bool(session.history)
    opening = (
        _pick(["Love it — ", "Great choice: ", "Noted: "], *seed) + _join(tuple(heard)) + "."
        if heard
        else _pick(["Happy to help with this space.", "Let's design this room together.",
                    "Thanks for the photo — it has good bones."], *seed)
        if not session.history
        # greetings open a conversation only; later turns acknowledge
        else _pick(["Got it.", "Understood.", "Sure."], *seed)
    )
    was_ready = session.ready
    ready = was_ready
    if not brief.complete:
        if brief.style is None:
            styles = _pick(["modern, scandinavian or japandi", "coastal, farmhouse or luxury",
                            "minimalist, mid-century or industrial"], *seed)
            ask = f"Which style are you after — {styles}?"
        else:
            ask = "Which room is this — a living room, bedroom, kitchen, dining room or office?"
        body = f"From the photo I'd open up the layout and bring in softer light. {ask}"
    elif was_ready:
        body = f"Updated brief: {_describe(brief)}. It's ready to render whenever you are."
    elif w.confirms:
        ready = True
        body = f"I'll stage {_describe(brief)}. The design is ready to render."
        if acknowledged:
            opening = "Perfect."
    else:
        body = (f"Here's the plan: {_describe(brief)}, keeping the windows clear and the "
                "walkways open. Shall I render it?")
        if w.declines and acknowledged:
            opening = "No problem — tell me what to change."
        elif w.declines:
            body = "No problem — tell me what to change. " + body
    return Reply(f"{opening} {body}", brief, ready, ready and not was_ready)


def sse_chunks(text: str) -> list[str]:
    """The reply split into word-sized deltas whose concatenation is exactly ``text``."""
    return re.findall(r"\S+\s*|\s+", text)
