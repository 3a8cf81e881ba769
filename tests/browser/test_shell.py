"""The web shell in Chromium against a real server: login, tabs, permissions, presence, logout."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"


def expect(locator):  # noqa: ANN001, ANN201 - a thin alias keeps the tests readable
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def nav_ids(page) -> list[str]:  # noqa: ANN001
    """The tab ids in the sidebar (without Home)."""
    ids = page.locator('[data-testid="sidebar"] .nav-link').evaluate_all("els => els.map(e => e.dataset.tab)")
    return [i for i in ids if i]


# -- login ----------------------------------------------------------------------------
def test_login_page_rejects_a_wrong_password(new_page, live_server, shot) -> None:
    page = new_page()
    expect(page.get_by_test_id("login-form")).to_be_visible()
    shot(page, "login")

    page.get_by_test_id("login-username").fill("admin")
    page.get_by_test_id("login-password").fill("not the password")
    page.get_by_test_id("login-submit").click()

    expect(page.get_by_test_id("login-error")).to_have_text("Invalid username or password")
    expect(page.get_by_test_id("app")).to_have_count(0)
    assert page.evaluate("localStorage.getItem('rm365.refresh')") is None


def test_login_throttled_shows_the_wait(new_page) -> None:
    # The real throttle would lock 127.0.0.1 out for the rest of the session, so the 429 is
    # played back by the browser instead; what is tested is the page's handling of it.
    page = new_page()
    page.route(
        "**/api/v1/auth/login",
        lambda route: route.fulfill(
            status=429,
            headers={"Retry-After": "42", "Content-Type": "application/json"},
            body='{"detail": "too many failed logins: try again in 42 seconds"}',
        ),
    )
    page.get_by_test_id("login-username").fill("someone")
    page.get_by_test_id("login-password").fill("whatever1")
    page.get_by_test_id("login-submit").click()

    expect(page.get_by_test_id("login-error")).to_contain_text("Try again in 42 seconds")
    expect(page.get_by_test_id("login-submit")).to_be_disabled()


def test_admin_sees_every_tab_and_the_dashboard(new_page, live_server, shot) -> None:
    page = new_page("admin", live_server.admin_password)

    expect(page.get_by_test_id("current-username")).to_have_text("admin")
    expect(page.get_by_test_id("current-role")).to_have_text("admin")
    assert {"usermanagement", "system"} <= set(nav_ids(page))
    expect(page.get_by_test_id("card-usermanagement")).to_be_visible()
    expect(page.get_by_test_id("card-system")).to_be_visible()
    expect(page.get_by_test_id("realtime-status")).to_have_attribute("data-status", "online")
    shot(page, "dashboard")


# -- permissions ------------------------------------------------------------------------
@pytest.fixture
def clerk(live_server, unique) -> str:
    """A user with the role `user` (no tabs) plus the extra tab `system`."""
    name = unique("clerk")
    live_server.create_user(name, PASSWORD, role="user", tabs=["system"])
    return name


def test_user_sees_only_the_granted_tabs(new_page, clerk) -> None:
    page = new_page(clerk, PASSWORD)

    assert nav_ids(page) == ["system"]
    expect(page.get_by_test_id("nav-system")).to_be_visible()
    expect(page.get_by_test_id("nav-usermanagement")).to_have_count(0)
    expect(page.get_by_test_id("card-usermanagement")).to_have_count(0)
    expect(page.get_by_test_id("current-role")).to_have_text("user")

    page.get_by_test_id("nav-system").click()
    expect(page.get_by_test_id("plugins-table")).to_be_visible()
    expect(page.get_by_test_id("plugin-row-core")).to_contain_text("enabled")


def test_user_cannot_open_usermanagement_by_url(new_page, live_server, clerk) -> None:
    page = new_page(clerk, PASSWORD)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    page.evaluate("location.hash = '#/usermanagement'")

    expect(page.get_by_test_id("access-denied")).to_be_visible()
    expect(page.get_by_test_id("access-denied")).to_contain_text("You do not have access to this tab")
    expect(page.get_by_test_id("users-table")).to_have_count(0)
    assert not [u for u in requested if "usermanagement.js" in u or "/api/v1/users" in u], requested

    # A reload straight onto the URL is refused the same way.
    page.reload()
    expect(page.get_by_test_id("access-denied")).to_be_visible()

    # And the server refuses the data to this user's token.
    token = live_server.login(clerk, PASSWORD)["access_token"]
    with live_server.client(token) as client:
        assert client.get("/api/v1/users").status_code == 403
        assert client.get("/api/v1/roles").status_code == 403
        assert client.get("/api/v1/tabs", params={"all": "true"}).status_code == 403
        assert client.get("/api/v1/plugins").status_code == 200


# -- user management ----------------------------------------------------------------------
def test_admin_creates_a_role_and_a_user_from_the_ui(new_page, live_server, unique, shot) -> None:
    role, user = unique("packers"), unique("dana")
    page = new_page("admin", live_server.admin_password)
    page.get_by_test_id("nav-usermanagement").click()
    expect(page.get_by_test_id("users-table")).to_be_visible()
    expect(page.get_by_test_id("role-row-admin")).to_be_visible()

    # A role granting `system`.
    page.get_by_test_id("new-role").click()
    dialog = page.get_by_test_id("role-form")
    dialog.get_by_test_id("role-name").fill(role)
    # "All tabs" implies every tab: they are ticked and locked while it is.
    dialog.get_by_test_id("tab-check-*").check()
    expect(dialog.get_by_test_id("tab-check-system")).to_be_checked()
    expect(dialog.get_by_test_id("tab-check-system")).to_be_disabled()
    dialog.get_by_test_id("tab-check-*").uncheck()
    expect(dialog.get_by_test_id("tab-check-system")).to_be_enabled()
    expect(dialog.get_by_test_id("tab-check-system")).not_to_be_checked()
    # A parent implies its children, except an explicit one (the Magento supervisor actions).
    dialog.get_by_test_id("tab-check-magento").check()
    expect(dialog.get_by_test_id("tab-check-magento.dashboard")).to_be_disabled()
    expect(dialog.get_by_test_id("tab-check-magento.dashboard.admin")).to_be_enabled()
    expect(dialog.get_by_test_id("tab-check-magento.dashboard.admin")).not_to_be_checked()
    dialog.get_by_test_id("tab-check-magento").uncheck()
    dialog.get_by_test_id("tab-check-system").check()
    dialog.get_by_test_id("role-form-submit").click()
    expect(dialog).to_have_count(0)
    expect(page.get_by_test_id(f"role-row-{role}")).to_contain_text("system")
    expect(page.get_by_test_id("toast").filter(has_text=f"Role {role} created")).to_be_visible()

    # A user with that role.
    page.get_by_test_id("new-user").click()
    dialog = page.get_by_test_id("user-form")
    dialog.get_by_test_id("user-username").fill(user)
    dialog.get_by_test_id("user-password").fill(PASSWORD)
    dialog.get_by_test_id("user-role").select_option(role)
    dialog.get_by_test_id("user-form-submit").click()
    expect(dialog).to_have_count(0)
    row = page.get_by_test_id(f"user-row-{user}")
    expect(row).to_contain_text(role)
    expect(row).to_contain_text("Active")
    shot(page, "usermanagement")

    with live_server.admin() as client:
        roles = {r["name"]: r for r in client.get("/api/v1/roles").json()}
        users = {u["username"]: u for u in client.get("/api/v1/users").json()}
    assert roles[role]["allowed_tabs"] == ["system"]
    assert users[user]["role"] == role
    assert users[user]["active"] is True

    # The new user signs in and gets the role's tab.
    other = new_page(user, PASSWORD)
    assert nav_ids(other) == ["system"]


def test_tab_picker_parent_checks_its_children(new_page, live_server, unique) -> None:
    with live_server.admin() as client:
        tree = client.get("/api/v1/tabs", params={"all": "true"}).json()
    parent = next((t for t in tree if t["children"]), None)
    if parent is None:
        pytest.skip("no installed plugin registers nested tabs")
    children = [c["id"] for c in parent["children"]]

    page = new_page("admin", live_server.admin_password)
    page.get_by_test_id("nav-usermanagement").click()
    page.get_by_test_id("new-role").click()
    dialog = page.get_by_test_id("role-form")
    dialog.get_by_test_id(f"tab-check-{children[0]}").check()
    dialog.get_by_test_id(f"tab-check-{parent['id']}").check()
    for child in children:
        expect(dialog.get_by_test_id(f"tab-check-{child}")).to_be_checked()
        expect(dialog.get_by_test_id(f"tab-check-{child}")).to_be_disabled()
    dialog.get_by_test_id(f"tab-check-{parent['id']}").uncheck()
    # Unticking the parent gives back what was ticked by hand.
    expect(dialog.get_by_test_id(f"tab-check-{children[0]}")).to_be_checked()
    expect(dialog.get_by_test_id(f"tab-check-{children[0]}")).to_be_enabled()
    for child in children[1:]:
        expect(dialog.get_by_test_id(f"tab-check-{child}")).not_to_be_checked()

    # Saved as the parent alone: it already grants the children.
    dialog.get_by_test_id(f"tab-check-{parent['id']}").check()
    name = unique("parent")
    dialog.get_by_test_id("role-name").fill(name)
    dialog.get_by_test_id("role-form-submit").click()
    expect(page.get_by_test_id(f"role-row-{name}")).to_be_visible()
    with live_server.admin() as client:
        assert client.get(f"/api/v1/roles/{name}").json()["allowed_tabs"] == [parent["id"]]


def test_server_errors_show_as_toasts(new_page, live_server) -> None:
    page = new_page("admin", live_server.admin_password)
    page.get_by_test_id("nav-usermanagement").click()
    page.get_by_test_id("new-user").click()
    dialog = page.get_by_test_id("user-form")
    dialog.get_by_test_id("user-username").fill("admin")  # exists already
    dialog.get_by_test_id("user-password").fill(PASSWORD)
    dialog.get_by_test_id("user-form-submit").click()

    toast = page.get_by_test_id("toast").filter(has_text="already exists")
    expect(toast).to_be_visible()
    expect(toast).to_have_attribute("data-kind", "error")
    expect(dialog).to_be_visible()  # kept open to fix the input
    expect(dialog.get_by_test_id("user-form-error")).to_contain_text("already exists")


def test_new_user_waits_for_the_roles_it_offers(new_page, live_server) -> None:
    """Opening the form before the roles arrived gave a role list with nothing to pick, so
    the form refused to submit: the button waits for the roles and tabs."""
    page = new_page("admin", live_server.admin_password)
    held = []
    page.route("**/api/v1/roles", lambda route: held.append(route))
    page.get_by_test_id("nav-usermanagement").click()
    button = page.get_by_test_id("new-user")
    expect(button).to_be_disabled()
    for _ in range(500):  # until the held request has reached the handler
        if held:
            break
        page.wait_for_timeout(20)
    held[0].continue_()
    page.unroute("**/api/v1/roles")
    expect(button).to_be_enabled()
    button.click()
    expect(page.get_by_test_id("user-role").locator("option")).not_to_have_count(0)


def test_editing_and_disabling_a_user(new_page, live_server, unique) -> None:
    name = unique("erin")
    live_server.create_user(name, PASSWORD)
    page = new_page("admin", live_server.admin_password)
    page.get_by_test_id("nav-usermanagement").click()
    row = page.get_by_test_id(f"user-row-{name}")

    row.get_by_test_id(f"edit-user-{name}").click()
    dialog = page.get_by_test_id("user-form")
    dialog.get_by_test_id("tab-check-system").check()
    dialog.get_by_test_id("user-form-submit").click()
    expect(dialog).to_have_count(0)
    expect(row).to_contain_text("system")

    row.get_by_test_id(f"toggle-user-{name}").click()
    expect(row).to_contain_text("Disabled")

    with live_server.admin() as client:
        user = client.get(f"/api/v1/users/{name}").json()
    assert user["allowed_tabs"] == ["system"]
    assert user["active"] is False


def test_deleting_a_user_asks_first(new_page, live_server, unique) -> None:
    name = unique("temp")
    live_server.create_user(name, PASSWORD)
    page = new_page("admin", live_server.admin_password)
    page.get_by_test_id("nav-usermanagement").click()
    row = page.get_by_test_id(f"user-row-{name}")

    row.get_by_test_id(f"delete-user-{name}").click()
    confirm = page.get_by_test_id("confirm-dialog")
    expect(confirm).to_be_visible()
    expect(confirm).to_contain_text(name)
    confirm.get_by_test_id("confirm-cancel").click()
    expect(confirm).to_have_count(0)
    expect(row).to_be_visible()

    row.get_by_test_id(f"delete-user-{name}").click()
    page.get_by_test_id("confirm-dialog").get_by_test_id("confirm-ok").click()
    expect(row).to_have_count(0)
    with live_server.admin() as client:
        assert client.get(f"/api/v1/users/{name}").status_code == 404


# -- presence -----------------------------------------------------------------------------
def _avatar(page, username: str):  # noqa: ANN001, ANN202
    return page.locator(f'[data-testid="presence-avatar"][data-username="{username}"]')


def test_two_users_see_each_other_on_the_same_tab(new_page, live_server, clerk, shot) -> None:
    admin = new_page("admin", live_server.admin_password)
    other = new_page(clerk, PASSWORD)
    admin.get_by_test_id("nav-system").click()
    other.get_by_test_id("nav-system").click()

    expect(_avatar(admin, clerk)).to_be_visible()
    expect(_avatar(admin, "admin")).to_be_visible()
    expect(_avatar(other, "admin")).to_be_visible()
    expect(_avatar(other, clerk)).to_be_visible()
    shot(admin, "system")

    # Leaving the tab takes the user out of the room.
    other.get_by_test_id("nav-home").click()
    expect(_avatar(admin, clerk)).to_have_count(0)


def test_presence_on_usermanagement(new_page, live_server, unique) -> None:
    second = unique("boss")
    live_server.create_user(second, PASSWORD, role="admin")
    first = new_page("admin", live_server.admin_password)
    other = new_page(second, PASSWORD)
    first.get_by_test_id("nav-usermanagement").click()
    other.get_by_test_id("nav-usermanagement").click()

    expect(_avatar(first, second)).to_be_visible()
    expect(_avatar(other, "admin")).to_be_visible()

    # Opening a user for editing shows up in the other's avatar tooltip.
    other.get_by_test_id("edit-user-admin").click()
    expect(_avatar(first, second)).to_have_attribute("title", re.compile("editing user admin"))
    other.get_by_test_id("user-form-cancel").click()
    expect(_avatar(first, second)).not_to_have_attribute("title", re.compile("editing"))


# -- session ----------------------------------------------------------------------------
def test_reload_keeps_the_session_and_logout_ends_it(new_page, live_server, clerk) -> None:
    page = new_page(clerk, PASSWORD)
    page.get_by_test_id("nav-system").click()
    expect(page.get_by_test_id("plugins-table")).to_be_visible()
    refresh_token = page.evaluate("localStorage.getItem('rm365.refresh')")
    assert refresh_token

    page.reload()  # the access token was in memory only; the refresh token brings it back
    expect(page.get_by_test_id("plugins-table")).to_be_visible()
    expect(page.get_by_test_id("current-username")).to_have_text(clerk)
    latest = page.evaluate("localStorage.getItem('rm365.refresh')")
    assert latest and latest != refresh_token  # rotated by the reload's refresh

    page.get_by_test_id("logout").click()
    expect(page.get_by_test_id("login-form")).to_be_visible()
    assert page.evaluate("localStorage.getItem('rm365.refresh')") is None
    assert page.evaluate("location.hash") == ""

    page.reload()
    expect(page.get_by_test_id("login-form")).to_be_visible()
    expect(page.get_by_test_id("app")).to_have_count(0)

    # The server revoked the session too: the refresh token it had is dead.
    with live_server.client() as client:
        response = client.post("/api/v1/auth/refresh", json={"refresh_token": latest})
    assert response.status_code == 401


def test_theme_toggle_is_remembered(new_page, live_server) -> None:
    page = new_page(color_scheme="light")
    html = page.locator("html")
    expect(html).to_have_attribute("data-theme", "light")
    page.get_by_test_id("theme-toggle").click()
    expect(html).to_have_attribute("data-theme", "dark")
    page.reload()
    expect(html).to_have_attribute("data-theme", "dark")


def test_tablet_sidebar_collapses(new_page, live_server, shot) -> None:
    page = new_page("admin", live_server.admin_password, viewport={"width": 820, "height": 1180})
    expect(page.get_by_test_id("sidebar")).not_to_be_in_viewport()
    page.get_by_test_id("menu-toggle").click()
    expect(page.get_by_test_id("sidebar")).to_be_in_viewport()
    page.get_by_test_id("nav-system").click()
    expect(page.get_by_test_id("plugins-table")).to_be_visible()
    expect(page.get_by_test_id("sidebar")).not_to_be_in_viewport()
    shot(page, "system-tablet", full_page=False)
