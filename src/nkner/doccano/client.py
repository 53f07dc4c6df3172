"""Connecting to a doccano server: credentials, login, accounts, and waiting for its task worker."""
from __future__ import annotations

import html
import os
import re
from dataclasses import dataclass

import requests
from doccano_client import DoccanoClient
from doccano_client.exceptions import DoccanoAPIError
from doccano_client.repositories.task_status import TaskStatusRepository

from nkner.doccano import DoccanoError, Unavailable

DEFAULT_URL = "http://127.0.0.1:8000"
TASK_TIMEOUT = 300  # seconds to wait for an import or export task


@dataclass
class Credentials:
    url: str
    username: str
    password: str


def credentials_from_env() -> Credentials:
    """Server and account from DOCCANO_URL (default :data:`DEFAULT_URL`), DOCCANO_USERNAME, DOCCANO_PASSWORD."""
    missing = [v for v in ("DOCCANO_USERNAME", "DOCCANO_PASSWORD") if not os.environ.get(v)]
    if missing:
        raise Unavailable(f"set {' and '.join(missing)} to the doccano account to use")
    return Credentials(os.environ.get("DOCCANO_URL") or DEFAULT_URL, os.environ["DOCCANO_USERNAME"],
                       os.environ["DOCCANO_PASSWORD"])


def connect(creds: Credentials) -> DoccanoClient:
    """A logged-in client; :class:`Unavailable` when the server is unreachable or refuses the login."""
    client = DoccanoClient(creds.url)
    try:
        client.login(creds.username, creds.password)
    except requests.ConnectionError as exc:
        raise Unavailable(f"cannot reach doccano at {creds.url} (connection refused or host unknown); "
                          "start it with `nkner doccano serve` or set DOCCANO_URL") from exc
    except DoccanoAPIError as exc:
        status = exc.response.status_code
        if status in (400, 401, 403):
            raise Unavailable(f"doccano at {creds.url} refused the login of user {creds.username!r}: "
                              "wrong username or password (DOCCANO_USERNAME, DOCCANO_PASSWORD)") from exc
        raise Unavailable(f"doccano at {creds.url} answered HTTP {status} to the login: {exc}") from exc
    except requests.RequestException as exc:
        raise Unavailable(f"cannot talk to doccano at {creds.url}: {exc}") from exc
    return client


def api_session(client: DoccanoClient):
    """The client's HTTP session: doccano-client 1.2.8 has no public way to set label text colours
    or to bound the wait for an import or export task, so those calls use its repositories."""
    return client._base_repository


def wait_for_task(client: DoccanoClient, task_id: str, what: str):
    try:
        status = TaskStatusRepository(api_session(client)).wait(task_id, timeout=TASK_TIMEOUT)
    except TimeoutError as exc:
        raise Unavailable(f"doccano's {what} task did not finish within {TASK_TIMEOUT} s; is the task "
                          "worker running (`nkner doccano serve` starts it)?") from exc
    if status.error:
        raise DoccanoError(f"doccano's {what} task failed: {status.error}")
    return status


def user_exists(client: DoccanoClient, username: str) -> bool:
    try:
        client.find_user_by_name(username)
    except ValueError:
        return False
    return True


def set_password(client: DoccanoClient, url: str, username: str, password: str) -> None:
    """Set the password of the doccano account ``username`` (needs a superuser's login).

    doccano 1.8.4's API lets an account change only its own password; an administrator sets
    another account's through Django's admin site, which this submits (same session, same
    password rules as the site: at least 8 characters, not too common, not all digits, not like
    the user name).  Raises :class:`DoccanoError` with doccano's reasons when it is refused.
    """
    user = client.find_user_by_name(username)
    session = api_session(client)._session
    form_url = f"{url.rstrip('/')}/admin/auth/user/{user.id}/password/"
    page = session.get(form_url, allow_redirects=False)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text) if page.status_code == 200 else None
    if token is None:
        raise DoccanoError(f"cannot set the password of doccano user {username!r}: the admin page {form_url} "
                           f"answered HTTP {page.status_code} (the account {url} logs in with must be a "
                           "superuser); the password was not changed")
    done = session.post(form_url, data={"csrfmiddlewaretoken": token.group(1), "password1": password,
                                        "password2": password},
                        headers={"Referer": form_url,  # the client's session sends JSON by default
                                 "Content-Type": "application/x-www-form-urlencoded"}, allow_redirects=False)
    if done.status_code != 302:
        reasons = re.findall(r'<ul class="errorlist[^"]*">\s*<li>(.*?)</li>', done.text, flags=re.S)
        raise DoccanoError(f"doccano refused the new password of user {username!r}: "
                           f"{'; '.join(html.unescape(r) for r in reasons) or f'HTTP {done.status_code}'}; "
                           "the password was not changed")
