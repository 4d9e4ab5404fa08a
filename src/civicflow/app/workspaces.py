"""Workspaces: create (global admins), list and open, each pointing at an event-store folder."""

from civicflow.app._workspaces import (
    Workspace,
    create_workspace,
    get_workspace,
    get_workspace_by_name,
    list_workspaces,
)

__all__ = [
    "Workspace",
    "create_workspace",
    "get_workspace",
    "get_workspace_by_name",
    "list_workspaces",
]
