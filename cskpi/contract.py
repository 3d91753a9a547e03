"""The raw data contract as data: every raw table, its columns, key and validation rules.

One definition serves the generator, the loaders, the dbt sources yml, the staging models
(through the generated macro ``raw_contract()``), the staging docs yml, ``docs/contract.md``
and the conformance tests, so the contract cannot drift between them. Regenerate the
derived files with ``python scripts/gen_sources.py`` after changing anything here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CATEGORIES = (
    "pre_sales",
    "order_status",
    "delivery",
    "returns",
    "payment",
    "product",
    "complaint",
    "other",
)
TICKET_CHANNELS = ("email", "chat", "web_form", "social")
PRIORITIES = ("low", "normal", "high", "urgent")
TICKET_STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")
EVENT_TYPES = (
    "created",
    "agent_reply",
    "customer_reply",
    "internal_note",
    "status_change",
    "assignment",
    "escalation",
    "escalation_resolved",
)
AUTHOR_TYPES = ("agent", "customer", "system")
SLA_METRICS = ("first_reply", "next_reply", "resolution")
CALL_DIRECTIONS = ("inbound", "outbound")
CALL_OUTCOMES = ("answered", "abandoned", "ivr_completed", "callback_requested", "voicemail")
CALL_DISPOSITIONS = ("resolved", "unresolved", "transferred", "escalated")
ORDER_STATUSES = ("placed", "shipped", "delivered", "cancelled", "returned")
EMPLOYMENTS = ("in_house", "outsourced")
COST_TYPES = ("salaries", "outsourcing", "tools", "telephony", "other")


TYPES = ("varchar", "integer", "double", "boolean", "timestamp", "date")


@dataclass(frozen=True)
class Reason:
    code: str
    description: str


# Quarantine reasons in priority order: a bad row gets the first reason whose rule it fails.
REASONS: tuple[Reason, ...] = (
    Reason(
        "malformed_line",
        "CSV landing files: the line is not valid CSV (a stray or unbalanced quote) or has another number "
        "of fields than the file's header; `raw_row` names the file and line.",
    ),
    Reason(
        "missing_column",
        "CSV landing files: the header of the row's file lacks a contract column; `raw_row` names the file "
        "and the missing columns.",
    ),
    Reason("null_key", "A primary key column is null."),
    Reason(
        "unknown_market",
        "The market column is null or not a market_code of the markets reference data "
        "(`stg_reference__markets`: seed `markets` plus `reference/markets`).",
    ),
    Reason("negative_duration", "A duration is below zero."),
    Reason("end_before_start", "An end (timestamp or date) lies before its start."),
    Reason("score_out_of_range", "A score is outside its scale."),
    Reason(
        "orphan_reference",
        "A reference does not resolve to an accepted row of the referenced table "
        "(a required reference: also when it is null).",
    ),
    Reason(
        "future_timestamp",
        "A timestamp lies more than `future_tolerance_minutes` (dbt var, default 5) after the row's own "
        "`_loaded_at`.",
    ),
    Reason(
        "out_of_range_timestamp",
        "A timestamp (`_loaded_at` included) lies before `earliest_timestamp` (dbt var, default 1980-01-01) "
        "or more than `future_tolerance_minutes` after the current UTC time.",
    ),
    Reason(
        "invalid_value",
        "A value does not convert to its contract type (an integer column takes integral values only: "
        "12 and 12.0, not 12.5), `_loaded_at` is null, a value is not one of its accepted values, or a "
        "table rule fails.",
    ),
)
REASON_CODES: tuple[str, ...] = tuple(r.code for r in REASONS)

# The reference data the market column is checked against: the shipped seed `markets` extended
# and overridden by the landed `reference/markets` (model stg_reference__markets), key market_code.
MARKETS_SEED = "stg_reference__markets"


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # one of TYPES
    description: str
    pii: bool = False
    nullable: bool = True
    accepted_values: tuple[str, ...] | None = None

    @property
    def staged_name(self) -> str:
        """Name in the staging models: PII columns become ``<name>_hash``, ``_loaded_at`` ``loaded_at``."""
        if self.pii:
            return f"{self.name}_hash"
        return self.name.lstrip("_")

    @property
    def staged_type(self) -> str:
        return "varchar" if self.pii else self.type


@dataclass(frozen=True)
class Range:
    """Every non-null value of ``columns`` lies within [minimum, maximum] (None: unbounded)."""

    columns: tuple[str, ...]
    reason: str
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class Reference:
    """``column`` holds the primary key of an accepted row of ``table`` (a contract path).

    Optional references may be null; a required one is an orphan when null. An ``inferred``
    reference names a dimension member (a customer, an agent) that another system owns: a key
    the referenced table lacks (or the whole table is absent) is kept, not quarantined, and
    becomes an inferred member of the dimension (``dim_customers.is_inferred``).
    """

    column: str
    table: str
    required: bool = False
    inferred: bool = False


@dataclass(frozen=True)
class Ordered:
    """``end`` is not before ``start`` (both set)."""

    start: str
    end: str


@dataclass(frozen=True)
class Table:
    system: str
    name: str
    primary_key: tuple[str, ...]
    description: str
    columns: tuple[Column, ...] = field(default_factory=tuple)
    # Validation rules beyond the per-column ones (null key, types, accepted values, future
    # timestamps); see REASONS for the order in which they are applied.
    market_column: str | None = None
    ranges: tuple[Range, ...] = ()
    ordered: tuple[Ordered, ...] = ()
    references: tuple[Reference, ...] = ()
    exactly_one: tuple[tuple[str, ...], ...] = ()  # of each group exactly one column is set
    surrogate_key: str | None = None  # staged text id of a composite primary key ('|'-joined)

    def __post_init__(self) -> None:
        names = set(self.column_names)
        used = [*self.primary_key, *(c for r in self.ranges for c in r.columns)]
        used += [c for o in self.ordered for c in (o.start, o.end)] + [r.column for r in self.references]
        used += [c for group in self.exactly_one for c in group] + ([self.market_column] if self.market_column else [])
        unknown = sorted(set(used) - names)
        if unknown:
            raise ValueError(f"{self.path}: rules name unknown column(s) {', '.join(unknown)}")
        bad_types = sorted({c.type for c in self.columns} - set(TYPES))
        bad_reasons = sorted({r.reason for r in self.ranges} - set(REASON_CODES))
        if bad_types or bad_reasons:
            raise ValueError(f"{self.path}: unknown type(s)/reason(s) {', '.join(bad_types + bad_reasons)}")

    @property
    def path(self) -> str:
        return f"{self.system}/{self.name}"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.path} has no column {name}")

    @property
    def version_order(self) -> tuple[str, ...]:
        """Staged columns that rank the versions of a key, newest first (all descending).

        Latest ``_loaded_at`` wins, then latest ``updated_at`` where the table has one; the raw
        row's JSON text breaks remaining ties so the winner is the same on every run.
        """
        return ("loaded_at", *(("updated_at",) if "updated_at" in self.column_names else ()), "raw_row")

    @property
    def future_columns(self) -> tuple[str, ...]:
        """Timestamps that must not lie in the future of the row's own ``_loaded_at``."""
        return tuple(c.name for c in self.columns if c.type == "timestamp" and c.name != LOADED_AT.name)

    @property
    def cast_checked_columns(self) -> tuple[str, ...]:
        """Columns whose raw value may fail the cast to the contract type (all but varchar)."""
        return tuple(c.name for c in self.columns if c.type != "varchar")

    @property
    def base_model(self) -> str:
        return f"base_{self.system}__{self.name}"

    @property
    def staging_model(self) -> str:
        return f"stg_{self.system}__{self.name}"

    @property
    def quarantine_model(self) -> str:
        return f"qrt_{self.system}__{self.name}"


def _c(
    name: str,
    type_: str,
    description: str,
    *,
    pii: bool = False,
    nullable: bool = True,
    values: tuple[str, ...] | None = None,
) -> Column:
    return Column(name, type_, description, pii, nullable, values)


def _non_negative(*columns: str) -> Range:
    return Range(columns, "negative_duration", minimum=0)


def _score(minimum: int, maximum: int) -> Range:
    return Range(("score",), "score_out_of_range", minimum, maximum)


LOADED_AT = _c(
    "_loaded_at", "timestamp", "UTC timestamp at which the row was loaded into the landing zone.",
    nullable=False,
)

TABLES: tuple[Table, ...] = (
    Table(
        "helpdesk", "tickets", ("ticket_id",),
        "Helpdesk tickets (email, chat, web form, social), one row per export of a ticket.",
        (
            _c("ticket_id", "varchar", "Ticket identifier (primary key).", nullable=False),
            _c("market_code", "varchar", "Market (country) the ticket belongs to, e.g. RO."),
            _c("channel", "varchar", "Contact channel of the ticket.", values=TICKET_CHANNELS),
            _c("customer_id", "varchar", "Customer who raised the ticket; null for anonymous requesters."),
            _c("order_id", "varchar", "Order the ticket is about, if any."),
            _c("category", "varchar", "Topic of the ticket.", values=CATEGORIES),
            _c("priority", "varchar", "Ticket priority.", values=PRIORITIES),
            _c("status", "varchar", "Current ticket status.", values=TICKET_STATUSES),
            _c("assignee_agent_id", "varchar", "Agent currently assigned to the ticket."),
            _c("created_at", "timestamp", "UTC time the ticket was created."),
            _c("updated_at", "timestamp", "UTC time of the last change to the ticket."),
            _c("solved_at", "timestamp", "UTC time the ticket was last solved; null if never solved."),
            _c("requester_email", "varchar", "Requester e-mail address.", pii=True),
            _c("subject", "varchar", "Ticket subject line as written by the requester.", pii=True),
            LOADED_AT,
        ),
        market_column="market_code",
        ordered=(Ordered("created_at", "solved_at"),),
        references=(Reference("customer_id", "shop/customers", inferred=True),),
    ),
    Table(
        "helpdesk", "ticket_events", ("event_id",),
        "Audit trail of every ticket: replies, notes, status changes, assignments and escalations.",
        (
            _c("event_id", "varchar", "Event identifier (primary key).", nullable=False),
            _c("ticket_id", "varchar", "Ticket the event belongs to."),
            _c("event_at", "timestamp", "UTC time of the event."),
            _c("event_type", "varchar", "Kind of event.", values=EVENT_TYPES),
            _c("author_type", "varchar", "Who caused the event.", values=AUTHOR_TYPES),
            _c("agent_id", "varchar", "Agent who caused the event, if an agent did."),
            _c("is_public", "boolean", "True when the event is visible to the customer (public reply)."),
            _c("status_from", "varchar", "Previous status, for status_change events.", values=TICKET_STATUSES),
            _c("status_to", "varchar", "New status, for status_change events.", values=TICKET_STATUSES),
            _c("escalated_to", "varchar", "Internal department the ticket was escalated to."),
            LOADED_AT,
        ),
        references=(Reference("ticket_id", "helpdesk/tickets", required=True),),
    ),
    Table(
        "helpdesk", "satisfaction_ratings", ("rating_id",),
        "CSAT ratings given by customers after a ticket or a call (exactly one of ticket_id, call_id).",
        (
            _c("rating_id", "varchar", "Rating identifier (primary key).", nullable=False),
            _c("ticket_id", "varchar", "Rated ticket; null when a call was rated."),
            _c("call_id", "varchar", "Rated call; null when a ticket was rated."),
            _c("score", "integer", "Satisfaction score from 1 (very unhappy) to 5 (very happy)."),
            _c("rated_at", "timestamp", "UTC time the rating was given."),
            _c("comment", "varchar", "Free-text comment of the customer.", pii=True),
            LOADED_AT,
        ),
        ranges=(_score(1, 5),),
        references=(Reference("ticket_id", "helpdesk/tickets"), Reference("call_id", "telephony/calls")),
        exactly_one=(("ticket_id", "call_id"),),
    ),
    Table(
        "telephony", "calls", ("call_id",),
        "Telephony call detail records, inbound and outbound.",
        (
            _c("call_id", "varchar", "Call identifier (primary key).", nullable=False),
            _c("direction", "varchar", "Call direction.", values=CALL_DIRECTIONS),
            _c("market_code", "varchar", "Market whose number was called."),
            _c("queue", "varchar", "Queue (topic) chosen in the IVR; same values as ticket category.",
               values=CATEGORIES),
            _c("customer_id", "varchar", "Identified customer; null for anonymous callers."),
            _c("caller_number", "varchar", "Caller phone number.", pii=True),
            _c("started_at", "timestamp", "UTC time the call started (entered the IVR)."),
            _c("ivr_seconds", "integer", "Seconds spent in the IVR."),
            _c("queue_entered_at", "timestamp", "UTC time the call entered the agent queue; null if never queued."),
            _c("queue_seconds", "integer", "Seconds waited in the queue until answer or hang-up."),
            _c("answered_at", "timestamp", "UTC time an agent answered; null if not answered."),
            _c("ended_at", "timestamp", "UTC time the call ended."),
            _c("agent_id", "varchar", "Agent who handled the call."),
            _c("talk_seconds", "integer", "Seconds of conversation with the agent."),
            _c("hold_seconds", "integer", "Seconds the caller was on hold during the conversation."),
            _c("after_call_work_seconds", "integer", "Seconds of after-call work (wrap-up) of the agent."),
            _c("outcome", "varchar", "How the call ended.", values=CALL_OUTCOMES),
            _c("disposition", "varchar", "Agent's disposition of an answered call; null if not answered.",
               values=CALL_DISPOSITIONS),
            LOADED_AT,
        ),
        market_column="market_code",
        ranges=(
            _non_negative("ivr_seconds", "queue_seconds", "talk_seconds", "hold_seconds", "after_call_work_seconds"),
        ),
        ordered=(Ordered("started_at", "ended_at"), Ordered("started_at", "answered_at")),
    ),
    Table(
        "shop", "orders", ("order_id",),
        "Web shop orders, one row per export of an order.",
        (
            _c("order_id", "varchar", "Order identifier (primary key).", nullable=False),
            _c("customer_id", "varchar", "Customer who placed the order."),
            _c("market_code", "varchar", "Market (shop) the order was placed in."),
            _c("ordered_at", "timestamp", "UTC time the order was placed."),
            _c("updated_at", "timestamp", "UTC time of the last change to the order."),
            _c("status", "varchar", "Current order status.", values=ORDER_STATUSES),
            _c("currency", "varchar", "ISO 4217 currency of the order amount."),
            _c("total_amount", "double", "Order total in the order currency."),
            LOADED_AT,
        ),
        market_column="market_code",
        ordered=(Ordered("ordered_at", "updated_at"),),
        references=(Reference("customer_id", "shop/customers"),),
    ),
    Table(
        "shop", "customers", ("customer_id",),
        "Registered web shop customers.",
        (
            _c("customer_id", "varchar", "Customer identifier (primary key).", nullable=False),
            _c("market_code", "varchar", "Market the customer registered in."),
            _c("email", "varchar", "Customer e-mail address.", pii=True),
            _c("phone", "varchar", "Customer phone number.", pii=True),
            _c("created_at", "timestamp", "UTC time the customer registered."),
            LOADED_AT,
        ),
        market_column="market_code",
    ),
    Table(
        "workforce", "agents", ("agent_id",),
        "Customer service agents, in-house and outsourced.",
        (
            _c("agent_id", "varchar", "Agent identifier (primary key).", nullable=False),
            _c("full_name", "varchar", "Agent full name.", pii=True),
            _c("email", "varchar", "Agent work e-mail address.", pii=True),
            _c("team", "varchar", "Team the agent works in."),
            _c("market_code", "varchar", "Market the agent serves."),
            _c("employment", "varchar", "Employment type.", values=EMPLOYMENTS),
            _c("hired_on", "date", "First working day."),
            _c("left_on", "date", "Last working day; null while employed."),
            LOADED_AT,
        ),
        market_column="market_code",
        ordered=(Ordered("hired_on", "left_on"),),
    ),
    Table(
        "workforce", "employee_surveys", ("response_id",),
        "Employee satisfaction (ESAT) pulse survey responses.",
        (
            _c("response_id", "varchar", "Response identifier (primary key).", nullable=False),
            _c("agent_id", "varchar", "Responding agent."),
            _c("survey_date", "date", "Date of the survey."),
            _c("score", "integer", "Satisfaction score from 1 to 5."),
            LOADED_AT,
        ),
        ranges=(_score(1, 5),),
        references=(Reference("agent_id", "workforce/agents", required=True),),
    ),
    Table(
        "finance", "operating_costs", ("cost_month", "market_code", "cost_type"),
        "Monthly customer service operating costs per market in local currency.",
        (
            _c("cost_month", "date", "First day of the month the cost belongs to.", nullable=False),
            _c("market_code", "varchar", "Market the cost belongs to.", nullable=False),
            _c("cost_type", "varchar", "Cost category.", values=COST_TYPES, nullable=False),
            _c("amount", "double", "Cost amount in the given currency."),
            _c("currency", "varchar", "ISO 4217 currency of the amount."),
            LOADED_AT,
        ),
        market_column="market_code",
        surrogate_key="operating_cost_id",
    ),
    Table(
        "surveys", "nps_responses", ("response_id",),
        "Net Promoter Score survey responses of customers.",
        (
            _c("response_id", "varchar", "Response identifier (primary key).", nullable=False),
            _c("customer_id", "varchar", "Responding customer."),
            _c("market_code", "varchar", "Market of the responding customer."),
            _c("responded_at", "timestamp", "UTC time of the response."),
            _c("score", "integer", "Likelihood to recommend, 0 to 10."),
            LOADED_AT,
        ),
        market_column="market_code",
        ranges=(_score(0, 10),),
        references=(Reference("customer_id", "shop/customers"),),
    ),
    Table(
        "surveys", "ces_responses", ("response_id",),
        "Customer Effort Score survey responses after a ticket or call.",
        (
            _c("response_id", "varchar", "Response identifier (primary key).", nullable=False),
            _c("customer_id", "varchar", "Responding customer."),
            _c("ticket_id", "varchar", "Ticket the survey followed, if any."),
            _c("call_id", "varchar", "Call the survey followed, if any."),
            _c("responded_at", "timestamp", "UTC time of the response."),
            _c("score", "integer", "Ease of getting the issue solved, 1 (very hard) to 7 (very easy)."),
            LOADED_AT,
        ),
        ranges=(_score(1, 7),),
        references=(Reference("ticket_id", "helpdesk/tickets"), Reference("call_id", "telephony/calls")),
    ),
)

TABLES_BY_PATH: dict[str, Table] = {t.path: t for t in TABLES}


def _check_references() -> None:
    for t in TABLES:
        for ref in t.references:
            target = TABLES_BY_PATH.get(ref.table)
            if target is None or len(target.primary_key) != 1:
                raise ValueError(f"{t.path}.{ref.column}: {ref.table} is no contract table with a one-column key")
        targets = [ref.table for ref in t.references]
        if len(set(targets)) != len(targets):
            raise ValueError(f"{t.path}: two references to the same table")


_check_references()


def table(path: str) -> Table:
    """Return the contract of ``system/table``."""
    try:
        return TABLES_BY_PATH[path]
    except KeyError:
        raise KeyError(f"unknown raw table {path!r}; known: {', '.join(TABLES_BY_PATH)}") from None


# Reference data that lands like raw data: ``<raw_dir>/reference/<table>/`` (CSV or Parquet;
# ``raw_reference.<table>`` on servers). Each table has the columns of its shipped seed (no
# ``_loaded_at``: these files are often written by hand); its rows extend and override the seed's
# rows by primary key (models/staging/reference). Every table is optional.
REFERENCE_SYSTEM = "reference"
REFERENCE_TABLES: tuple[Table, ...] = (
    Table(
        REFERENCE_SYSTEM, "markets", ("market_code",),
        "Markets the service works for; extends and overrides seed `markets` by market_code.",
        (
            _c("market_code", "varchar", "Market code: ISO 3166-1 alpha-2 country code, e.g. IL.", nullable=False),
            _c("country", "varchar", "Country name."),
            _c("currency", "varchar", "Local currency, ISO 4217 code, e.g. ILS.", nullable=False),
            _c("timezone", "varchar", "IANA time zone of the market's local calendar, e.g. Asia/Jerusalem.",
               nullable=False),
            _c("language", "varchar", "Main service language (ISO 639-1)."),
            _c("launched_on", "date", "Date the market was launched."),
        ),
    ),
    Table(
        REFERENCE_SYSTEM, "fx_rates", ("rate_month", "currency"),
        "Monthly EUR rates; extend and override seed `fx_rates_monthly` (ECB monthly means) by month and currency.",
        (
            _c("rate_month", "date", "First day of the month the rate applies to.", nullable=False),
            _c("currency", "varchar", "ISO 4217 currency code.", nullable=False),
            _c("eur_per_unit", "double", "EUR for one unit of the currency (greater than 0).", nullable=False),
        ),
    ),
    Table(
        REFERENCE_SYSTEM, "kpi_targets", ("market_code", "kpi_code"),
        "KPI targets per market; extend and override seed `kpi_targets` by market and KPI.",
        (
            _c("market_code", "varchar", "Market the target applies to.", nullable=False),
            _c("kpi_code", "varchar", "KPI the target applies to (kpi_definitions.kpi_code).", nullable=False),
            _c("target_value", "double", "Target in the KPI's unit.", nullable=False),
        ),
    ),
    Table(
        REFERENCE_SYSTEM, "business_hours", ("market_code", "channel", "iso_weekday", "opens_at", "valid_from"),
        "Weekly opening intervals in local time; the landed rows of a market, channel and valid_from replace "
        "the shipped ones of that key (seed `business_hours`).",
        (
            _c("market_code", "varchar", "Market the schedule applies to.", nullable=False),
            _c("channel", "varchar", "Channel (phone, email, chat, web_form, social), or all / empty for every "
               "channel without a schedule of its own."),
            _c("iso_weekday", "integer", "Day of the week the interval opens: 1 Monday ... 7 Sunday.", nullable=False),
            _c("opens_at", "varchar", "Local opening time, HH:MM.", nullable=False),
            _c("closes_at", "varchar", "Local closing time, HH:MM; at or before opens_at: the next day "
               "(overnight), 24:00 or 00:00 for midnight.", nullable=False),
            _c("valid_from", "date", "First local day the schedule of this market and channel applies; it "
               "stays in force until a later valid_from.", nullable=False),
        ),
    ),
    Table(
        REFERENCE_SYSTEM, "holidays", ("market_code", "holiday_date"),
        "Days a market is closed all day; extend and override seed `public_holidays` (the country's public "
        "holidays, PyPI package holidays) by market and date.",
        (
            _c("market_code", "varchar", "Market the day applies to.", nullable=False),
            _c("holiday_date", "date", "Local date.", nullable=False),
            _c("name", "varchar", "Name of the holiday."),
            _c("is_closed", "boolean", "False reopens a shipped holiday (business as usual); empty or true "
               "closes the day."),
        ),
    ),
    Table(
        REFERENCE_SYSTEM, "sla_policies", ("market_code", "channel", "priority", "metric", "valid_from"),
        "SLA targets per market, channel, priority and metric; extend and override seed `sla_policies` by key. "
        "The most specific policy wins (a market over *, a channel over all, a priority over all), then the "
        "latest valid_from on or before the ticket's local creation day.",
        (
            _c("market_code", "varchar", "Market the policy applies to, or * for every market.", nullable=False),
            _c("channel", "varchar", "Ticket channel (email, chat, web_form, social), or all / empty for every "
               "channel."),
            _c("priority", "varchar", "Ticket priority at creation (low, normal, high, urgent), or all / empty."),
            _c("metric", "varchar", "first_reply, next_reply or resolution.", nullable=False,
               values=SLA_METRICS),
            _c("target_minutes", "integer", "Target in minutes (greater than 0); business minutes when "
               "business_hours.", nullable=False),
            _c("business_hours", "boolean", "True: the clock runs in the market's business hours only; "
               "false: calendar time.", nullable=False),
            _c("valid_from", "date", "First local day of ticket creation the policy applies to.", nullable=False),
        ),
    ),
)
REFERENCE_BY_NAME: dict[str, Table] = {t.name: t for t in REFERENCE_TABLES}
# The shipped default (dbt seed) behind each reference table.
REFERENCE_SEEDS: dict[str, str] = {
    "markets": "markets",
    "fx_rates": "fx_rates_monthly",
    "kpi_targets": "kpi_targets",
    "business_hours": "business_hours",
    "holidays": "public_holidays",
    "sla_policies": "sla_policies",
}
