"""Fake but plausible PII and free text: names, e-mails, phone numbers, subjects, comments."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "ro": ("Andrei", "Ioana", "Mihai", "Elena", "Alexandru", "Maria", "Cristina", "Bogdan"),
    "pl": ("Piotr", "Anna", "Tomasz", "Katarzyna", "Michal", "Agnieszka", "Pawel", "Magdalena"),
    "hu": ("Bence", "Anna", "Gabor", "Eszter", "Laszlo", "Katalin", "Zoltan", "Reka"),
    "cs": ("Jan", "Tereza", "Petr", "Lucie", "Martin", "Eva", "Tomas", "Klara"),
    "de": ("Lukas", "Anna", "Jonas", "Lea", "Felix", "Marie", "Paul", "Sophie"),
}
LAST_NAMES: dict[str, tuple[str, ...]] = {
    "ro": ("Popescu", "Ionescu", "Popa", "Dumitru", "Stan", "Munteanu", "Constantin", "Marin"),
    "pl": ("Nowak", "Kowalski", "Wisniewski", "Wojcik", "Kaminski", "Lewandowski", "Zielinski", "Szymanski"),
    "hu": ("Nagy", "Kovacs", "Toth", "Szabo", "Horvath", "Varga", "Kiss", "Molnar"),
    "cs": ("Novak", "Svoboda", "Novotny", "Dvorak", "Cerny", "Prochazka", "Kucera", "Vesely"),
    "de": ("Mueller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker"),
}

# Subject templates per contact category (contract.CATEGORIES order).
SUBJECTS: dict[str, tuple[str, ...]] = {
    "pre_sales": ("Question about a product before ordering", "Is this item in stock?",
                  "Delivery time to my city?", "Do you offer installments?"),
    "order_status": ("Where is my order?", "Order status", "Has my order been shipped?"),
    "delivery": ("Parcel not delivered", "Courier did not come", "Wrong delivery address"),
    "returns": ("I want to return an item", "Return label request", "Refund for my return"),
    "payment": ("Payment failed", "Charged twice", "Invoice request"),
    "product": ("Product does not work", "Missing parts", "How do I use this product?"),
    "complaint": ("Very unhappy with the service", "Complaint about my order", "Damaged item received"),
    "other": ("Account question", "Newsletter unsubscribe", "General question"),
}
LEGITIMACY_SUBJECTS = ("Is this shop real?", "Is your shop legit?", "Are you a real company?")
POSITIVE_COMMENTS = ("Quick and helpful, thank you!", "Great service", "Problem solved fast", "Very friendly agent")
NEGATIVE_COMMENTS = ("Still waiting for an answer", "Nobody solved my problem", "Took far too long",
                     "I had to contact you several times")


def pick(rng: np.random.Generator, options: tuple[str, ...], n: int) -> pa.Array:
    return pa.array(options).take(pa.array(rng.integers(0, len(options), size=n)))


def phone_numbers(prefix: str, numbers: np.ndarray) -> pa.Array:
    """Stable phone number per customer number (a multiplicative hash keeps it unique-ish)."""
    digits = 600_000_000 + (np.asarray(numbers, dtype=np.int64) * 2_654_435_761) % 300_000_000
    return pc.binary_join_element_wise(prefix, pa.array(digits).cast(pa.string()), "")


def random_phones(rng: np.random.Generator, prefix: str, n: int) -> pa.Array:
    return pc.binary_join_element_wise(prefix, pa.array(rng.integers(600_000_000, 800_000_000, n))
                                       .cast(pa.string()), "")


def customer_emails(numbers: np.ndarray) -> pa.Array:
    text = pa.array(np.asarray(numbers, dtype=np.int64)).cast(pa.string())
    return pc.binary_join_element_wise("c", text, "@example.com", "")


def guest_emails(rng: np.random.Generator, n: int) -> pa.Array:
    text = pa.array(rng.integers(100_000, 999_999_999, n)).cast(pa.string())
    return pc.binary_join_element_wise("guest", text, "@example.net", "")
