"""Settings → People callbacks: owners list members, change roles, remove members.

The workspace and the caller's role come from the session (``current_context``) on every
call; member ids come from the browser's pattern ids and are looked up only inside that
workspace (:mod:`dashboard.people`). Anyone else gets a quiet refusal, never a 500, and the
attempt is audited.
"""

from __future__ import annotations

import dash
from dash import ALL, Input, Output, State, callback, no_update
from dash.exceptions import PreventUpdate

from callbacks.common import next_version as _version
from components import ids
from components import people as ui
from components.settings import message
from dashboard import account_mail, audit, invitations, people, two_factor
from dashboard.auth import current_context
from dashboard.models import User, Workspace
from dashboard.services import current_services


@callback(
    Output(ids.SETTINGS_PEOPLE, "children"),
    Input(ids.SETTINGS_INIT, "data"),
    Input(ids.SETTINGS_PEOPLE_VERSION, "data"),
)
def render_people(_init, _version_value):
    """Members with their role and last log-in, the invite form and pending invitations (owners)."""
    context = current_context()
    if not context.can(people.PEOPLE_ROLE):
        return ui.people_note(context.role.value)
    with current_services().db.session() as db:
        members = people.list_members(db, context)
        waiting = invitations.pending(db, context)
        required = bool(db.get(Workspace, context.workspace.id).require_two_factor)
    return [
        ui.members_list(members),
        ui.invite_form(),
        ui.pending_list(waiting),
        ui.require_two_factor_switch(required),
    ]


@callback(
    Output(ids.SETTINGS_PEOPLE_MESSAGE, "children"),
    Output(ids.SETTINGS_PEOPLE_VERSION, "data"),
    Input(ids.member_role(ALL), "value"),
    Input(ids.member_remove(ALL), "submit_n_clicks"),
    Input(ids.invite_revoke(ALL), "n_clicks"),
    State(ids.SETTINGS_PEOPLE_VERSION, "data"),
    prevent_initial_call=True,
)
def people_action(_roles, _removes, _revokes, version):
    """Change the role of, or remove, the member whose control fired, or revoke an invitation."""
    triggered = dash.ctx.triggered_id
    if not isinstance(triggered, dict) or not dash.ctx.triggered:
        raise PreventUpdate
    value = dash.ctx.triggered[0].get("value")
    if not value:
        raise PreventUpdate  # a control that just appeared, not a choice or a confirmed click
    context = current_context()
    if triggered.get("type") == ids.SETTINGS_INVITE_REVOKE:
        return _revoke(context, triggered.get("invite"), version)
    member = triggered.get("member")
    removing = triggered.get("type") == ids.SETTINGS_MEMBER_REMOVE
    with current_services().db.session() as db:
        try:
            if removing:
                email = people.remove(db, context, member)
                text = f"{email} was removed; their sessions have ended."
            else:
                changed = people.change_role(db, context, member, value)
                if changed is None:
                    raise PreventUpdate  # the select shows the role the member already has
                text = f"{changed[0]} is now {value} (was {changed[1]})."
        except people.NotAllowed as exc:
            db.rollback()
            what = "member_removed" if removing else "role_changed"
            audit.record_for(db, context, what, outcome="denied", detail=f"member id {str(member)[:40]}")
            db.commit()
            return message(str(exc), False), no_update
        except people.PeopleError as exc:
            db.rollback()
            # Re-render so a refused role select goes back to the member's real role.
            return message(str(exc), False), _version(version)
        db.commit()
    return message(text, True), _version(version)


def _revoke(context, invitation_id, version):
    with current_services().db.session() as db:
        try:
            email = invitations.revoke(db, context, invitation_id)
        except people.NotAllowed as exc:
            audit.record_for(
                db, context, "invitation_revoked", outcome="denied", detail=str(invitation_id)[:40]
            )
            return message(str(exc), False), no_update
    if email is None:
        return message("That invitation is no longer pending.", False), _version(version)
    return message(f"The invitation of {email} was withdrawn.", True), _version(version)


@callback(
    Output(ids.SETTINGS_INVITE_RESULT, "children"),
    Output(ids.SETTINGS_PEOPLE_VERSION, "data", allow_duplicate=True),
    Input(ids.invite_field(ids.SETTINGS_INVITE_SEND), "n_clicks"),
    State(ids.invite_field(ids.SETTINGS_INVITE_EMAIL), "value"),
    State(ids.invite_field(ids.SETTINGS_INVITE_ROLE), "value"),
    State(ids.SETTINGS_PEOPLE_VERSION, "data"),
    prevent_initial_call=True,
)
def send_invitation(clicks, emails, roles, version):
    """Invite the typed address with the chosen role: email the link, or show it to copy."""
    # Browser state: an ALL input is a list; anything else was forged.
    if not isinstance(clicks, list) or not any(isinstance(c, int) and c > 0 for c in clicks):
        raise PreventUpdate
    email = emails[0] if isinstance(emails, list) and emails else None
    role = roles[0] if isinstance(roles, list) and roles else None
    context = current_context()
    services = current_services()
    with services.db.session() as db:
        try:
            invitation, token = invitations.create(db, context, email, role)
        except people.NotAllowed as exc:
            db.rollback()
            audit.record_for(db, context, "invitation_created", outcome="denied", detail=str(email)[:320])
            return ui.invite_result(str(exc), False), no_update
        except people.PeopleError as exc:
            return ui.invite_result(str(exc), False), no_update
        invited, invited_role = invitation.email, invitation.role
        workspace_name = context.workspace.name or context.workspace.slug
        inviter = db.get(User, context.user_id)
        inviter_name = (inviter.name or inviter.email) if inviter is not None else "An owner"
    link = f"{account_mail.base_url(services.settings)}/invite/{token}"
    mail = account_mail.build(
        services.settings,
        invited,
        f"You are invited to {workspace_name} on Pulseboard",
        [
            f"{inviter_name} invited you to the workspace {workspace_name} on Pulseboard "
            f"as {'an' if invited_role[:1] in 'aeiou' else 'a'} {invited_role}.",
            "The link works once and expires in 7 days.",
        ],
        link,
        "Accept the invitation",
    )
    not_sent = account_mail.send(services.settings, mail)
    if not_sent is None:
        return ui.invite_result(f"Invitation emailed to {invited}.", True), _version(version)
    text = f"Invitation created for {invited}, but not emailed: {not_sent}. Send them this link:"
    return ui.invite_result(text, True, link), _version(version)


@callback(
    Output(ids.SETTINGS_PEOPLE_MESSAGE, "children", allow_duplicate=True),
    Output(ids.SETTINGS_PEOPLE_VERSION, "data", allow_duplicate=True),
    Input(ids.invite_field(ids.SETTINGS_REQUIRE_2FA), "value"),
    State(ids.SETTINGS_PEOPLE_VERSION, "data"),
    prevent_initial_call=True,
)
def require_two_factor(values, version):
    """Owners turn the workspace's two-factor requirement on or off (audited)."""
    if not isinstance(values, list) or len(values) != 1 or not isinstance(values[0], bool):
        raise PreventUpdate  # no switch on the page, or a forged value
    wanted = values[0]
    context = current_context()
    with current_services().db.session() as db:
        if not context.can(people.PEOPLE_ROLE):
            audit.record_for(db, context, "two_factor_required", outcome="denied", detail=f"-> {wanted}")
            return message(f"Only owners change this; you are {context.role.value}.", False), no_update
        workspace = db.get(Workspace, context.workspace.id)
        if bool(workspace.require_two_factor) == wanted:
            raise PreventUpdate  # the switch shows what is stored
        if wanted and not two_factor.is_enabled(db.get(User, context.user_id)):
            # Re-render: the switch goes back to what is stored.
            return message(
                "Turn on two-factor authentication for yourself first (Settings → Account), then require it.",
                False,
            ), _version(version)
        workspace.require_two_factor = wanted
        audit.record_for(db, context, "two_factor_required", detail="on" if wanted else "off")
    if wanted:
        return message(
            "Two-factor authentication is now required: members without it set it up next.", True
        ), no_update
    return message(
        "Two-factor authentication is no longer required (members who use it keep it).", True
    ), no_update
