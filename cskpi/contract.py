"""The raw data contract of SPEC §3 as data.

One definition serves the generator, the loaders, the dbt sources yml and the
conformance tests, so the contract cannot drift between them.
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
CALL_DIRECTIONS = ("inbound", "outbound")
CALL_OUTCOMES = ("answered", "abandoned", "ivr_completed", "callback_requested", "voicemail")
CALL_DISPOSITIONS = ("resolved", "unresolved", "transferred", "escalated")
ORDER_STATUSES = ("placed", "shipped", "delivered", "cancelled", "returned")
EMPLOYMENTS = ("in_house", "outsourced")
COST_TYPES = ("salaries", "outsourcing", "tools", "telephony", "other")


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # one of: varchar, integer, double, boolean, timestamp, date
    description: str
    pii: bool = False
    nullable: bool = True
    accepted_values: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Table:
    system: str
    name: str
    primary_key: tuple[str, ...]
    description: str
    columns: tuple[Column, ...] = field(default_factory=tuple)

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
    ),
)

TABLES_BY_PATH: dict[str, Table] = {t.path: t for t in TABLES}


def table(path: str) -> Table:
    """Return the contract of ``system/table``."""
    try:
        return TABLES_BY_PATH[path]
    except KeyError:
        raise KeyError(f"unknown raw table {path!r}; known: {', '.join(TABLES_BY_PATH)}") from None
