"""The `project` JSON of API.md and the budget records' JSON."""

from __future__ import annotations

from typing import Any

from pitchey.production.models import EXPENSE, Project, ProjectItem


def project_json(project: Project) -> dict[str, Any]:
    return {
        "id": project.id,
        "pitchId": project.pitch_id,
        "pitchTitle": project.pitch_title,
        "companyId": project.company_id,
        "creatorId": project.creator_id,
        "title": project.title,
        "status": project.status,
        "stage": project.stage,
        "budgetCents": int(project.budget_cents),
        "spentCents": int(project.spent_cents or 0),
        "startDate": project.start_date,
        "targetReleaseDate": project.target_release_date,
        "createdAt": project.created_at,
        "updatedAt": project.updated_at,
    }


def line_json(line: ProjectItem) -> dict[str, Any]:
    return {
        "projectId": line.project_id,
        "category": line.category,
        "plannedCents": int(line.planned_cents),
        "updatedAt": line.at,
    }


def expense_json(expense: ProjectItem) -> dict[str, Any]:
    return {
        "id": expense.sk.removeprefix(EXPENSE),
        "projectId": expense.project_id,
        "category": expense.category,
        "amountCents": int(expense.amount_cents),
        "description": expense.description,
        "incurredOn": expense.incurred_on,
        "createdAt": expense.at,
    }
