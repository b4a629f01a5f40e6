"""The admin's Users tab: accounts and roles, groups, and who may read or write each
collection. Every handler runs only for an admin (checked on the server by the session
cookie); the rules themselves live in :mod:`mexma_search.app.users`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr

from mexma_search.app.access import Caller, Role
from mexma_search.app.services import Services
from mexma_search.webapp import formatting
from mexma_search.webapp.sessions import UserSessions

PRIVATE: dict[str, Any] = {"api_visibility": "private"}
USER_COLUMNS = ["User", "Role", "Groups", "Created"]
GRANT_COLUMNS = ["Collection", "Who", "May"]
GROUP_COLUMNS = ["Group", "Members"]
ROLES = [role.value for role in Role]
LEVELS = ["read", "write", "nothing"]
GROUP_PREFIX = "group:"


class UsersPanel:
    """Builds the tab's components and wires them to the accounts."""

    def __init__(self, services: Services, sessions: UserSessions) -> None:
        self.services = services
        self.accounts = services.accounts
        self.sessions = sessions

    def build(self) -> None:
        gr.Markdown("### Users")
        self.users_table = gr.Dataframe(
            headers=USER_COLUMNS, interactive=False, wrap=True, elem_id="users-table"
        )
        with gr.Row(equal_height=True):
            self.name = gr.Textbox(label="User name", elem_id="users-name")
            self.password = gr.Textbox(
                label="Password (new or reset)", type="password", elem_id="users-password"
            )
            self.role = gr.Dropdown(label="Role", choices=ROLES, value=Role.READER.value)
        with gr.Row():
            self.add_button = gr.Button("Add user", variant="primary", elem_id="users-add")
            self.role_button = gr.Button("Set role")
            self.password_button = gr.Button("Reset password")
            self.remove_button = gr.Button("Remove user", variant="stop")
        gr.Markdown(
            "### Collection access\nReaders and editors see the collections granted to them "
            "or to one of their groups, and the public ones; editors upload into the "
            "collections they may write to and delete their own documents. Admins see all."
        )
        self.grants_table = gr.Dataframe(
            headers=GRANT_COLUMNS, interactive=False, wrap=True, elem_id="users-grants"
        )
        self.public = gr.Markdown(elem_id="users-public")
        with gr.Row(equal_height=True):
            self.collection = gr.Dropdown(
                label="Collection", choices=[], allow_custom_value=True, elem_id="users-collection"
            )
            self.who = gr.Textbox(label="User, or group:NAME", elem_id="users-who")
            self.level = gr.Dropdown(label="May", choices=LEVELS, value="read")
        with gr.Row():
            self.grant_button = gr.Button("Save access", variant="primary", elem_id="users-grant")
            self.open_button = gr.Button("Make public")
            self.close_button = gr.Button("Make private")
        gr.Markdown("### Groups")
        self.groups_table = gr.Dataframe(
            headers=GROUP_COLUMNS, interactive=False, wrap=True, elem_id="users-groups"
        )
        with gr.Row(equal_height=True):
            self.group = gr.Textbox(label="Group", elem_id="users-group")
            self.member = gr.Textbox(label="Member (user name)", elem_id="users-member")
        with gr.Row():
            self.add_group_button = gr.Button("Add group")
            self.join_button = gr.Button("Add member")
            self.leave_button = gr.Button("Remove member")
            self.remove_group_button = gr.Button("Remove group", variant="stop")

    @property
    def listing_outputs(self) -> list[Any]:
        return [
            self.users_table,
            self.grants_table,
            self.groups_table,
            self.collection,
            self.public,
        ]

    def wire(self) -> None:
        account = [self.name, self.password, self.role]
        self._on(self.add_button, self.add_user, account, "admin_add_user")
        self._on(self.role_button, self.set_role, account, "admin_set_role")
        self._on(self.password_button, self.reset_password, account, "admin_reset_password")
        self._on(self.remove_button, self.remove_user, account, "admin_remove_user")
        grant = [self.collection, self.who, self.level]
        self._on(self.grant_button, self.save_grant, grant, "admin_grant")
        self._on(self.open_button, self.make_public, grant, "admin_make_public")
        self._on(self.close_button, self.make_private, grant, "admin_make_private")
        membership = [self.group, self.member]
        self._on(self.add_group_button, self.add_group, membership, "admin_add_group")
        self._on(self.join_button, self.add_member, membership, "admin_add_member")
        self._on(self.leave_button, self.remove_member, membership, "admin_remove_member")
        self._on(self.remove_group_button, self.remove_group, membership, "admin_remove_group")

    def _on(
        self, button: gr.Button, action: Callable[..., str], inputs: list[Any], name: str
    ) -> None:
        def run(
            caller: Caller, first: str | None, second: str | None, third: str | None = None
        ) -> tuple[Any, ...]:
            values = [first, second, third][: len(inputs)]
            try:
                done = action(*[(value or "").strip() for value in values])
            except (ValueError, LookupError) as exc:
                raise formatting.ui_error(str(exc)) from exc
            gr.Info(done)
            return self.listing(caller)

        run.__name__ = action.__name__
        button.click(
            self.sessions.required(run),
            inputs=inputs,
            outputs=self.listing_outputs,
            api_name=name,
            # a refused change is shown as a toast; the tables keep showing what they showed
            show_progress="hidden",
            **PRIVATE,
        )

    def listing(self, caller: Caller) -> tuple[Any, ...]:
        """The users, grants and groups tables, the collection choices and the public ones."""
        users = [
            [u.name, u.role, ", ".join(u.groups), u.created_at.strftime("%Y-%m-%d %H:%M")]
            for u in self.accounts.list_users()
        ]
        grants = [[g.collection, g.principal, "write" if g.write else "read"] for g in
                  self.accounts.grants()]  # fmt: skip
        groups = [[name, ", ".join(members)] for name, members in self.accounts.groups().items()]
        public = self.accounts.public_collections()
        return (
            users,
            grants,
            groups,
            gr.Dropdown(choices=self.services.collections(caller=caller)),
            "**Public collections:** " + (", ".join(public) if public else "none"),
        )

    def add_user(self, name: str, password: str, role: str) -> str:
        self.accounts.add_user(name, password, role)
        return f"Added {role} {name}."

    def set_role(self, name: str, password: str, role: str) -> str:
        self.accounts.set_role(name, role)
        return f"{name} is now {role}."

    def reset_password(self, name: str, password: str, role: str) -> str:
        self.accounts.set_password(name, password)
        return f"The password of {name} was replaced."

    def remove_user(self, name: str, password: str, role: str) -> str:
        if not self.accounts.remove_user(name):
            raise ValueError(f"no user named {name!r}")
        return f"Removed {name} (their documents stay)."

    def save_grant(self, collection: str, who: str, level: str) -> str:
        if not collection or not who:
            raise ValueError("name a collection and a user or group:NAME")
        group = who.removeprefix(GROUP_PREFIX) if who.startswith(GROUP_PREFIX) else None
        user = None if group is not None else who
        self.accounts.grant(
            collection, user=user, group=group, level=None if level == "nothing" else level
        )
        return f"{who} may now {level if level != 'nothing' else 'not'} use {collection}."

    def make_public(self, collection: str, who: str, level: str) -> str:
        self.accounts.set_public(_named(collection), True)
        return f"{collection} is public."

    def make_private(self, collection: str, who: str, level: str) -> str:
        self.accounts.set_public(_named(collection), False)
        return f"{collection} is no longer public."

    def add_group(self, group: str, member: str) -> str:
        self.accounts.add_group(group)
        return f"Added group {group}."

    def add_member(self, group: str, member: str) -> str:
        self.accounts.set_membership(group, member, True)
        return f"{member} is in {group}."

    def remove_member(self, group: str, member: str) -> str:
        self.accounts.set_membership(group, member, False)
        return f"{member} left {group}."

    def remove_group(self, group: str, member: str) -> str:
        if not self.accounts.remove_group(group):
            raise ValueError(f"no group named {group!r}")
        return f"Removed group {group}."


def _named(collection: str) -> str:
    if not collection:
        raise ValueError("choose a collection first")
    return collection
