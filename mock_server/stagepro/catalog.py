"""What StagePro offers, read from the spec's enums at startup, plus the few facts the
vendor states that a schema cannot hold (workflow template mapping, prices). Listing tools'
names and categories live with their renders (``images/render/tools.py``).

The price table (``fixtures/prices.yaml``) is checked against the spec when the catalog is
built (``check_prices``): a key that names no job type or listing tool of the spec, a job
type without a price, or a price that is not a whole number of credits stops startup naming
it, so a typo can never silently fall back to the listing-tool base price."""

from __future__ import annotations

from dataclasses import dataclass

from ..images.render.tools import check_against, tool
from ..jsontypes import Json, JsonObject
from ..spec.schema_walk import enum_at, request_schema, schema_at

#: Tools the vendor offers in its app only (interactive UI): refused by the API with 400.
APP_ONLY_TOOLS = {"furniture-try-on": "Furniture Try-On", "magic-editor": "Magic Editor"}

#: Workflow template → (job type, listing tool, description).
WORKFLOW_TEMPLATES: dict[str, tuple[str, str | None, str]] = {
    "mls-virtual-stage": ("virtual-stage", None, "Virtually stage every listing photo."),
    "mls-room-declutter": ("listing-tool", "room-declutter", "Declutter every room."),
    "mls-furniture-clear": ("empty-room", None, "Remove all furniture: empty rooms."),
    "mls-exterior-twilight": ("listing-tool", "virtual-twilight", "Turn exteriors to twilight."),
    "mls-sky-enhance": ("listing-tool", "sky-enhancement", "Replace dull skies with blue ones."),
    "mls-interior-design": ("interior-design", None, "Redesign every interior in one style."),
}


def tool_name(slug: str) -> str:
    return tool(slug).display_name


def template_name(template: str) -> str:
    return "MLS " + template.removeprefix("mls-").replace("-", " ").title()


def tool_category(slug: str) -> str:
    return tool(slug).category


#: The keys of ``fixtures/prices.yaml``.
PRICE_SECTIONS = ("job_types", "listing_tools", "agent_chat")


class PriceTableError(ValueError):
    """``fixtures/prices.yaml`` disagrees with the spec: the message names every problem."""


def check_prices(
    prices: Json, job_types: tuple[str, ...], listing_tools: tuple[str, ...]
) -> None:
    """Raise ``PriceTableError`` naming every key of the price table the spec does not have
    (a job type, a listing tool, a section), every job type without a price and every price
    that is not a whole number of credits (0 or more)."""
    if not isinstance(prices, dict):
        raise PriceTableError("fixtures/prices.yaml: expected a mapping of "
                              f"{', '.join(PRICE_SECTIONS)}")
    problems: list[str] = []

    def credits(where: str, value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problems.append(f"{where}: {value!r} is not a whole number of credits (0 or more)")

    for key in prices:
        if key not in PRICE_SECTIONS:
            problems.append(f"unknown section {key!r} (known: {', '.join(PRICE_SECTIONS)})")
    sections = (("job_types", "job type", job_types),
                ("listing_tools", "listing tool", listing_tools))
    for section, what, known in sections:
        table = prices.get(section) or {}
        if not isinstance(table, dict):
            problems.append(f"{section}: expected a mapping of {what} to credits")
            continue
        for key, value in table.items():
            if key not in known:
                problems.append(f"{section}: {key!r} is not a {what} of the spec "
                                f"(openapi/stagepro.yaml lists: {', '.join(known)})")
            else:
                credits(f"{section}.{key}", value)
    table = prices.get("job_types")
    missing = [t for t in job_types if not isinstance(table, dict) or t not in table]
    if missing:
        problems.append(f"job_types: no price for {', '.join(missing)}")
    if "agent_chat" in prices:
        credits("agent_chat", prices["agent_chat"])
    if problems:
        raise PriceTableError("fixtures/prices.yaml disagrees with the spec: "
                              + "; ".join(problems))


@dataclass(frozen=True)
class Catalog:
    job_types: tuple[str, ...]
    listing_tools: tuple[str, ...]
    styles: tuple[str, ...]
    room_types: tuple[str, ...]
    aspect_ratios: tuple[str, ...]
    creativity: tuple[int, int, int]
    workflow_templates: tuple[str, ...]
    webhook_events: tuple[str, ...]
    prices: JsonObject

    @classmethod
    def from_spec(cls, document: JsonObject, prices: JsonObject) -> Catalog:
        job = request_schema(document, "/jobs", "post")
        workflow = request_schema(document, "/workflows", "post")
        creativity = schema_at(document, job, "input.options.creativity") or {}
        webhook = request_schema(document, "/webhooks", "post")
        listing_tools = tuple(enum_at(document, job, "input.listing_tool"))
        check_against(listing_tools)  # every tool of the spec renders, and no other
        job_types = tuple(enum_at(document, job, "type"))
        check_prices(prices, job_types, listing_tools)  # every price names a spec value
        return cls(
            job_types=job_types,
            listing_tools=listing_tools,
            styles=tuple(enum_at(document, job, "input.style")),
            room_types=tuple(enum_at(document, job, "input.room_type")),
            aspect_ratios=tuple(enum_at(document, job, "input.options.aspect_ratio")),
            creativity=(
                int(creativity.get("minimum", 1)),
                int(creativity.get("maximum", 5)),
                int(creativity.get("default", 3)),
            ),
            workflow_templates=tuple(enum_at(document, workflow, "template")),
            webhook_events=tuple(enum_at(document, webhook, "events")),
            prices=prices,
        )

    def price(self, job_type: str, listing_tool: str | None = None) -> int:
        if job_type == "listing-tool" and listing_tool in self.prices.get("listing_tools", {}):
            return int(self.prices["listing_tools"][listing_tool])
        return int(self.prices["job_types"][job_type])

    def as_capabilities(self, limits: dict[str, int]) -> JsonObject:
        return {
            "object": "capabilities",
            "job_types": list(self.job_types),
            "listing_tools": [
                {"slug": s, "name": tool_name(s), "category": tool_category(s)}
                for s in self.listing_tools
            ],
            "app_only_tools": [{"slug": s, "name": n} for s, n in APP_ONLY_TOOLS.items()],
            "styles": list(self.styles),
            "room_types": list(self.room_types),
            "aspect_ratios": list(self.aspect_ratios),
            "creativity": {
                "min": self.creativity[0],
                "max": self.creativity[1],
                "default": self.creativity[2],
            },
            "workflow_templates": [
                {
                    "id": t,
                    "name": template_name(t),
                    "job_type": WORKFLOW_TEMPLATES[t][0],
                    "listing_tool": WORKFLOW_TEMPLATES[t][1],
                    "description": WORKFLOW_TEMPLATES[t][2],
                }
                for t in self.workflow_templates
            ],
            "webhook_events": list(self.webhook_events),
            "prices": {
                "currency": "credits",
                "job_types": dict(self.prices["job_types"]),
                "listing_tools": {
                    s: self.price("listing-tool", s) for s in self.listing_tools
                },
                "agent_chat": int(self.prices.get("agent_chat", 0)),
            },
            "limits": dict(limits),
        }
