"""A demo tracker: about 60 invented enquiries of an invented Kampala boutique.

Every name and number here is made up.  The data is generated from a fixed
seed relative to ``now``, so the same ``--now`` always gives the same tracker.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from zoneinfo import ZoneInfo

from .backends.base import Backend
from .model import CellValue, Settings
from .results import Evaluation
from .tracker import init_tracker, localise, refresh

FIRST_NAMES = [
    "Sarah", "Brian", "Grace", "Joseph", "Aisha", "Ivan", "Patience", "Ronald", "Esther",
    "Moses", "Juliet", "Denis", "Sandra", "Emmanuel", "Prossy", "Allan", "Winnie", "Isaac",
    "Doreen", "Kenneth", "Harriet", "Collins", "Phiona", "Arthur", "Brenda", "Samuel",
]
SURNAMES = [
    "Nakato", "Okello", "Namubiru", "Mugisha", "Nansubuga", "Kato", "Atim", "Ssempijja",
    "Akello", "Tumusiime", "Nalwoga", "Ochieng", "Kyomuhendo", "Byaruhanga", "Apio",
    "Wasswa", "Nabirye", "Mukasa",
]
# Mobile prefixes in use in Uganda (MTN 077/078/076, Airtel 070/075/074).
PREFIXES = ["0772", "0782", "0776", "0701", "0752", "0744", "0774", "0756"]
SOURCES = [("WhatsApp", 30), ("Instagram", 14), ("Facebook", 12), ("Walk-in", 8),
           ("Phone call", 7), ("TikTok", 5), ("Referral", 4)]
ITEMS = ["kitenge dress", "gomesi for a wedding", "office suits", "school uniforms (20)",
         "bridal party outfits", "men's kanzu", "tailoring alterations", "bulk T-shirts",
         "handbags", "shoes, size 39"]
DEMO_SETTINGS = Settings(business_name="Nakato Fashions, Kampala (demo)")


LOST_REASONS = ("Price", "Not ready yet", "Chose another seller", "No reply", "Not a fit")


def demo_rows(now: dt.datetime, count: int = 60, seed: int = 2026) -> list[dict[str, CellValue]]:
    """Invented enquiries over the three months before ``now`` (local, aware)."""
    rng = random.Random(seed)
    rows: list[dict[str, CellValue]] = []
    start = now - dt.timedelta(days=88)
    stamps = sorted(start + dt.timedelta(minutes=rng.randrange(88 * 24 * 60))
                    for _ in range(count))
    # Keep the newest few inside the last day so Today has something to show.
    stamps[-3:] = [now - dt.timedelta(hours=h, minutes=rng.randrange(50)) for h in (7, 3, 1)]
    numbers: list[str] = []
    for received in stamps:
        # Enquiries mostly arrive in the day time, but some come in the evening.
        received = received.replace(hour=rng.choice([7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
                                                      19, 21]),
                                    minute=rng.randrange(60), second=0, microsecond=0)
        received = min(received, now - dt.timedelta(minutes=20))
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)[0]}."
        if numbers and rng.random() < 0.05:
            number = rng.choice(numbers)  # a returning customer: a possible duplicate
        else:
            number = f"{rng.choice(PREFIXES)} {rng.randrange(100000, 999999)}"
            numbers.append(number)
        source = rng.choices([s for s, _ in SOURCES], [w for _, w in SOURCES])[0]
        age = now - received
        if age < dt.timedelta(hours=10):
            status, first = "pending", None
        else:
            reply_after = dt.timedelta(minutes=rng.choice([10, 25, 40, 75, 120, 200, 300, 600,
                                                           1500]))
            first = received + reply_after
            status = rng.choices(["contacted", "converted", "lost", "pending"],
                                 [45, 30, 20, 5])[0]
            if status == "pending":
                first = None
        follow_ups = 0
        if status == "contacted" and first is not None:
            follow_ups = min(3, (now - first).days // 3)
        value: CellValue = None
        if status in ("converted", "contacted") and rng.random() < 0.8:
            value = rng.choice([45000, 80000, 120000, 250000, 400000, 650000, 1200000])
        row: dict[str, CellValue] = {
            "Received": received.replace(tzinfo=None),
            "Name": name,
            "Contact": number,
            "Source": source,
            "Status": status,
            "First contact": first.replace(tzinfo=None) if first else None,
            "Follow-ups done": follow_ups if status == "contacted" else None,
            "Value": value,
            "Notes": rng.choice(ITEMS),
        }
        if status == "lost":
            # Feedback on every lead: a reason for each lost one, taken in turn (not from
            # the random generator, so the rest of the demo stays as it was).
            row["Lost reason"] = LOST_REASONS[len(rows) % len(LOST_REASONS)]
        rows.append(row)
    # Cells as owners really type them, so Problems has something to say.
    rows[5]["Received"] = rows[5]["Received"].strftime("%d/%m/%Y")  # type: ignore[union-attr]
    rows[9]["Source"] = "  instagram "
    rows[14]["Status"] = "Converted"
    rows[21]["Value"] = "1,200,000"
    rows[27]["Received"] = "31/09/2026 10:00"  # no such date
    rows[33]["Contact"] = "@shop_with_amina"
    return rows


def build_demo(
    backend: Backend,
    *,
    now: dt.datetime | None = None,
    progress: Callable[[str], None] = lambda _m: None,
) -> Evaluation:
    """Create the demo tracker on ``backend``, fill it and refresh it."""
    now = localise(now, DEMO_SETTINGS) if now else dt.datetime.now(
        ZoneInfo(DEMO_SETTINGS.timezone))
    progress(f"Creating {backend.label}...")
    init_tracker(backend, DEMO_SETTINGS)
    rows = demo_rows(now)
    progress(f"Adding {len(rows)} invented enquiries...")
    backend.append(rows)
    progress("Refreshing...")
    return refresh(backend, now=now)
