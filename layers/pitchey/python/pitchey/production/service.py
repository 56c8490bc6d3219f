"""Production projects: a company proposes one from a published pitch, the pitch's creator accepts or
declines it, the company moves its status and stage and keeps its budget.

Every move is one conditional transaction on the project's version (two racing moves never both apply:
the loser gets 409) that also, where the move calls for it, releases the one-live-project claim and moves
the pitch's in-production counter — so `inProduction` changes exactly when the status does — and writes
the history entry. The rules themselves are the pure tables of lifecycle.py.

Anyone who is neither the project's company nor its pitch's creator gets 404 for it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pitchey.core import audit, clock
from pitchey.core.caller import Caller
from pitchey.core.db import Page, PageRequest, Transaction, TransactionCancelled, query_page, transact
from pitchey.core.errors import Conflict, NotFound, ValidationFailed
from pitchey.core.ids import new_id
from pitchey.core.workflow import InvalidTransition
from pitchey.production.lifecycle import (
    COMPANY,
    CREATOR,
    IN_PRODUCTION,
    LIVE,
    TRANSITIONS,
    production_delta,
    stage_after,
    status_after,
)
from pitchey.production.models import (
    CATEGORIES,
    DECLINED,
    EXPENSE,
    HISTORY,
    LINE,
    PROPOSED,
    STAGES,
    STATUSES,
    LiveProjectClaim,
    Project,
    ProjectItem,
    live_claim_key,
)
from pitchey.production.views import expense_json, line_json, project_json

if TYPE_CHECKING:
    from pitchey.production.schemas import BudgetLine, Expense, ProposeProject, UpdateProject

LIVE_CLAIM = "liveClaim"


def _audit(action: str, caller: Caller, project: Project, **details: Any) -> None:
    audit.record_about(caller, action, "project", project, **details)


def _notify(user_id: str, project: Project, title: str, body: str, **data: Any) -> None:
    from pitchey.notifications.service import notify

    payload = {"projectId": project.id, "pitchId": project.pitch_id, "status": project.status}
    notify(user_id, "project_update", title, body, {**payload, "stage": project.stage, **data})


# --- loading with the party rule -----------------------------------------------------------------------
def _load(project_id: str) -> Project | None:
    try:
        return Project.get(project_id, consistent_read=True)
    except Project.DoesNotExist:
        return None


def _for_party(project_id: str, caller: Caller) -> tuple[Project, str]:
    """The project and the caller's part in it (company or creator); anyone else gets 404."""
    project = _load(project_id)
    if project is not None and caller.id == project.company_id:
        return project, COMPANY
    if project is not None and caller.id == project.creator_id:
        return project, CREATOR
    raise NotFound("Project not found")


def _for_company(project_id: str, caller: Caller) -> Project:
    project, actor = _for_party(project_id, caller)
    if actor != COMPANY:
        raise NotFound("Project not found")
    return project


# --- proposal --------------------------------------------------------------------------------------------
def _proposable_pitch(pitch_id: str, caller: Caller):  # -> Pitch
    from pitchey.ndas.access import has_signed_nda
    from pitchey.pitches.models import Pitch

    try:
        pitch = Pitch.get(pitch_id)
    except Pitch.DoesNotExist:
        raise NotFound("Pitch not found") from None
    if pitch.status != "published":
        raise NotFound("Pitch not found")
    if pitch.requires_nda and not has_signed_nda(caller.id, pitch.id):
        raise ValidationFailed.field("pitchId", "Sign the NDA for this pitch first", code="NDA_REQUIRED")
    return pitch


def _history(project: Project, actor_id: str, changes: dict[str, Any], at: str) -> ProjectItem:
    return ProjectItem(
        project.id, f"{HISTORY}{clock.iso_precise()}#{new_id()}", actor_id=actor_id, changes=changes, at=at
    )


def propose(caller: Caller, body: ProposeProject) -> dict[str, Any]:
    pitch = _proposable_pitch(body.pitch_id, caller)
    now = clock.iso()
    project = Project(
        new_id(),
        pitch_id=pitch.id,
        pitch_title=pitch.title,
        company_id=caller.id,
        creator_id=pitch.creator_id,
        title=body.title or pitch.title,
        status=PROPOSED,
        stage=STAGES[0],
        budget_cents=body.budget_cents,
        spent_cents=0,
        start_date=body.start_date,
        target_release_date=body.target_release_date,
        message=body.message or None,
        created_at=now,
        updated_at=now,
        version=1,
    )
    claim = LiveProjectClaim(live_claim_key(caller.id, pitch.id), project_id=project.id, created_at=now)

    def build(txn: Transaction) -> None:
        txn.put("project", project, condition=Project.id.does_not_exist())
        txn.put(LIVE_CLAIM, claim, condition=LiveProjectClaim.key.does_not_exist())
        txn.put("history", _history(project, caller.id, {"status": {"from": None, "to": PROPOSED}}, now))

    try:
        transact(build)
    except TransactionCancelled as cancelled:
        if LIVE_CLAIM not in cancelled.failed:
            raise
        raise Conflict("You already have a live project for this pitch", code="PROJECT_EXISTS") from None
    _notify(
        project.creator_id,
        project,
        "New production proposal",
        f'A production company proposes to produce "{project.pitch_title}".',
    )
    _audit("project.propose", caller, project, budgetCents=project.budget_cents)
    return project_json(project)


# --- moves -----------------------------------------------------------------------------------------------
def _apply(caller: Caller, project: Project, fields: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Write `fields` (model attribute name → new value) in one transaction conditioned on the version read,
    with the claim release, the pitch's counter and the history entry the move calls for. Returns the
    changes ({field: {from, to}}); nothing to change writes nothing."""
    from pitchey.pitches.models import Pitch
    from pitchey.pitches.service import production_count_actions

    changed = {name: value for name, value in fields.items() if getattr(project, name) != value}
    changes = {
        getattr(Project, name).attr_name: {"from": getattr(project, name), "to": value}
        for name, value in changed.items()
    }
    if not changes:
        return changes
    now = clock.iso()
    before, after = project.status, changed.get("status", project.status)
    actions = [getattr(Project, name).set(value) for name, value in changed.items()]
    actions += [Project.updated_at.set(now), Project.version.add(1)]

    def build(txn: Transaction) -> None:
        txn.update("project", project, actions, condition=Project.version == project.version)
        if before in LIVE and after not in LIVE:
            txn.delete(LIVE_CLAIM, LiveProjectClaim(live_claim_key(project.company_id, project.pitch_id)))
        delta = production_delta(before, after)
        if delta:
            txn.update("pitch", Pitch(project.pitch_id), production_count_actions(delta), Pitch.id.exists())
        txn.put("history", _history(project, caller.id, changes, now))

    try:
        transact(build)
    except TransactionCancelled as cancelled:
        if "project" not in cancelled.failed:
            raise
        fresh = _load(project.id)
        if fresh is not None and fresh.status != before:
            raise InvalidTransition(f"The project became {fresh.status} meanwhile") from None
        raise Conflict("The project changed meanwhile; reload it", code="CONCURRENT_UPDATE") from None
    project.refresh(consistent_read=True)
    return changes


def _decide(caller: Caller, project_id: str, event: str) -> dict[str, Any]:
    project, actor = _for_party(project_id, caller)
    if actor != CREATOR:
        raise NotFound("Project not found")
    status = TRANSITIONS.next(project.status, actor, event)
    _apply(caller, project, {"status": status})
    verb = "accepted" if event == "accept" else "declined"
    _notify(
        project.company_id,
        project,
        f"Proposal {verb}",
        f'The creator of "{project.pitch_title}" {verb} your production proposal.',
    )
    _audit(f"project.{event}", caller, project)
    return project_json(project)


def accept(caller: Caller, project_id: str) -> dict[str, Any]:
    return _decide(caller, project_id, "accept")


def decline(caller: Caller, project_id: str) -> dict[str, Any]:
    return _decide(caller, project_id, "decline")


def update(caller: Caller, project_id: str, body: UpdateProject) -> dict[str, Any]:
    project = _for_company(project_id, caller)
    if TRANSITIONS.is_terminal(project.status):
        raise InvalidTransition(f"A project that is {project.status} cannot change")
    fields: dict[str, Any] = {}
    if body.title is not None:
        fields["title"] = body.title
    if body.target_release_date is not None:
        fields["target_release_date"] = body.target_release_date
    if body.stage is not None:
        fields["stage"] = stage_after(project.status, project.stage, body.stage)
    if body.status is not None and body.status != project.status:
        fields["status"] = status_after(project.status, COMPANY, body.status)
    changes = _apply(caller, project, fields)
    if "stage" in changes:
        from pitchey.activity import service as activity

        activity.record(
            "project_stage",
            pitch_id=project.pitch_id,
            creator_id=project.creator_id,
            actor_id=caller.id,
            summary=f'"{project.title}" moved to {project.stage.replace("_", " ")}',
        )
    if changes:
        _notify(
            project.creator_id,
            project,
            "Production update",
            f'The production of "{project.pitch_title}" changed: {", ".join(sorted(changes))}.',
            changes=changes,
        )
        _audit("project.update", caller, project, changes=changes)
    return project_json(project)


# --- budget ----------------------------------------------------------------------------------------------
def _open_check(txn: Transaction, project: Project) -> None:
    txn.check("project", Project, project.id, Project.status.is_in(*LIVE))


def _budget_write(project: Project, build: Any) -> None:
    try:
        transact(build)
    except TransactionCancelled as cancelled:
        if "project" not in cancelled.failed:
            raise
        raise InvalidTransition(
            "The budget of a declined, completed or cancelled project is closed"
        ) from None


def set_budget_line(caller: Caller, project_id: str, body: BudgetLine) -> dict[str, Any]:
    project = _for_company(project_id, caller)
    line = ProjectItem(
        project.id,
        f"{LINE}{body.category}",
        category=body.category,
        planned_cents=body.planned_cents,
        at=clock.iso(),
    )

    def build(txn: Transaction) -> None:
        _open_check(txn, project)
        txn.put("line", line)  # one line per category: a second put replaces it

    _budget_write(project, build)
    _audit("project.budget_line", caller, project, category=body.category, plannedCents=body.planned_cents)
    return line_json(line)


def add_expense(caller: Caller, project_id: str, body: Expense) -> dict[str, Any]:
    project = _for_company(project_id, caller)
    expense = ProjectItem(
        project.id,
        f"{EXPENSE}{new_id()}",
        category=body.category,
        amount_cents=body.amount_cents,
        description=body.description,
        incurred_on=body.incurred_on,
        actor_id=caller.id,
        at=clock.iso(),
    )

    def build(txn: Transaction) -> None:
        txn.update(
            "project",
            project,
            [Project.spent_cents.add(body.amount_cents)],
            condition=Project.status.is_in(*LIVE),
        )
        txn.put("expense", expense, condition=ProjectItem.sk.does_not_exist())

    _budget_write(project, build)
    _audit("project.expense", caller, project, category=body.category, amountCents=body.amount_cents)
    return expense_json(expense)


def budget(caller: Caller, project_id: str) -> dict[str, Any]:
    """Planned, spent and variance per category and spend per month, summed in integer cents."""
    project, _ = _for_party(project_id, caller)
    planned: dict[str, int] = {}
    spent: dict[str, int] = defaultdict(int)
    by_month: dict[str, int] = defaultdict(int)
    for line in ProjectItem.query(project.id, ProjectItem.sk.startswith(LINE), consistent_read=True):
        planned[line.category] = int(line.planned_cents)
    for item in ProjectItem.query(project.id, ProjectItem.sk.startswith(EXPENSE), consistent_read=True):
        spent[item.category] += int(item.amount_cents)
        by_month[item.incurred_on[:7]] += int(item.amount_cents)
    categories = [c for c in CATEGORIES if c in planned or c in spent]
    planned_total, spent_total = sum(planned.values()), sum(spent.values())
    return {
        "budgetCents": int(project.budget_cents),
        "plannedCents": planned_total,
        "spentCents": spent_total,
        "varianceCents": planned_total - spent_total,
        "byCategory": [
            {
                "category": c,
                "plannedCents": planned.get(c, 0),
                "spentCents": spent[c],
                "varianceCents": planned.get(c, 0) - spent[c],
            }
            for c in categories
        ],
        "byMonth": [{"month": month, "spentCents": by_month[month]} for month in sorted(by_month)],
    }


def _planned_cents(project_id: str) -> int:
    lines = ProjectItem.query(project_id, ProjectItem.sk.startswith(LINE), attributes_to_get=["plannedCents"])
    return sum(int(line.planned_cents) for line in lines)


def company_analytics(caller: Caller) -> dict[str, Any]:
    """`GET /api/analytics/production`: the company's NDAs, its projects by status and stage, planned and
    spent over its live and finished projects (declined proposals never had a budget), and how many
    activity items reached its following feed in the last 7 days."""
    from pitchey.activity import service as activity
    from pitchey.ndas.service import requester_counts

    by_status = dict.fromkeys(STATUSES, 0)
    by_stage = dict.fromkeys(STAGES, 0)
    planned = spent = 0
    for project in Project.by_company.query(caller.id):
        by_status[project.status] += 1
        by_stage[project.stage] += 1
        if project.status != DECLINED:
            planned += _planned_cents(project.id)
            spent += int(project.spent_cents or 0)
    week_ago = clock.iso_precise(clock.now() - timedelta(days=7))
    return {
        "ndas": requester_counts(caller.id),
        "projects": {"byStatus": by_status, "byStage": by_stage},
        "budget": {"plannedCents": planned, "spentCents": spent},
        "followedActivity7d": activity.count_since(caller.id, week_ago),
    }


def investments_overview(caller: Caller) -> dict[str, Any]:
    """`GET /api/production/investments/overview`: funding of the pitches behind the company's active and
    paused projects. One Query on byCompany, one BatchGet of the pitches; a pitch behind two projects
    counts once in the totals."""
    from pitchey.pitches.models import Pitch

    projects = list(
        Project.by_company.query(caller.id, filter_condition=Project.status.is_in(*IN_PRODUCTION))
    )
    pitch_ids = list(dict.fromkeys(project.pitch_id for project in projects))
    attributes = ["id", "fundingRaisedCents", "fundingPledgedCents", "fundingGoalCents"]
    pitches = {pitch.id: pitch for pitch in Pitch.batch_get(pitch_ids, attributes_to_get=attributes)}

    def funding(pitch_id: str) -> dict[str, int]:
        pitch = pitches.get(pitch_id)
        return {
            "raisedCents": int(pitch.funding_raised_cents or 0) if pitch else 0,
            "pledgedCents": int(pitch.funding_pledged_cents or 0) if pitch else 0,
            "goalCents": int(pitch.funding_goal_cents or 0) if pitch else 0,
        }

    totals = [funding(pitch_id) for pitch_id in pitch_ids]
    return {
        "projects": len(projects),
        "totalRaisedCents": sum(t["raisedCents"] for t in totals),
        "totalPledgedCents": sum(t["pledgedCents"] for t in totals),
        "byProject": [
            {"projectId": project.id, "pitchId": project.pitch_id, **funding(project.pitch_id)}
            for project in projects
        ],
    }


# --- reads -----------------------------------------------------------------------------------------------
def get(caller: Caller, project_id: str) -> dict[str, Any]:
    return project_json(_for_party(project_id, caller)[0])


def history(caller: Caller, project_id: str) -> list[dict[str, Any]]:
    project, _ = _for_party(project_id, caller)
    items = ProjectItem.query(project.id, ProjectItem.sk.startswith(HISTORY), scan_index_forward=False)
    return [{"at": item.at, "actorId": item.actor_id, "changes": item.changes} for item in items]


def list_projects(
    caller: Caller, status: str | None, stage: str | None, page: PageRequest
) -> Page[dict[str, Any]]:
    """A company's projects, or a creator's projects on its pitches; newest first."""
    index, key_name = (
        (Project.by_company, "companyId")
        if caller.role == "production"
        else (Project.by_creator, "creatorId")
    )
    condition = None
    if status:
        condition = Project.status == status
    if stage:
        condition = Project.stage == stage if condition is None else condition & (Project.stage == stage)
    result = query_page(
        Project,
        lambda **paging: index.query(
            caller.id, filter_condition=condition, scan_index_forward=False, **paging
        ),
        ["id", key_name],
        page=page,
        scope=f"projects:{key_name}:{caller.id}:{status}:{stage}",
        filtered=condition is not None,
    )
    return result.map(project_json)
