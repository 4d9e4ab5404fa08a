"""Workspaces: create (global admins), list and open, each pointing at an event-store folder."""

from civicflow.app._workspaces import (
    Workspace,
    create_workspace,
    find_workspace,
    get_workspace,
    list_workspaces,
)

__all__ = [
    "Workspace",
    "create_workspace",
    "find_workspace",
    "get_workspace",
    "list_workspaces",
]
