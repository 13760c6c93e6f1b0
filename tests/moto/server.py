"""Moto server for awsenv's integration tests, patched where moto is not like real AWS.

Run as `python tests/moto/server.py`: it binds 127.0.0.1 on a port picked by the OS,
prints one line `port N` to stdout and serves (threaded) until its stdin reaches EOF.
The test binary holds that pipe, so the server cannot outlive the tests.

awsenv's whole job is juggling STS credentials, and out of the box moto accepts any
credentials and returns fixed ones, so nothing would be tested. The patches:

- STS caller resolution (GetSessionToken, AssumeRole, GetCallerIdentity,
  GetFederationToken): moto trusts any access key. We accept only active IAM user keys
  and live sessions issued here (with their session token), and check the SigV4
  signature against the matching secret, so awsenv's handling of invalid, deactivated
  and expired credentials meets the errors (and XML shape) that real STS returns.
- GetSessionToken: moto returns the same example keys every time, with no duration
  limits and no MFA. We issue fresh ASIA keys, enforce AWS's limits, and check TOTP
  codes against the seed of the user's virtual MFA device.
- AssumeRole: moto assumes any ARN, ignoring the trust policy and session limits. We
  require the role to exist, honour MFA and ExternalId conditions in its trust policy,
  the role's MaxSessionDuration and the one-hour limit on role chaining.
- GetCallerIdentity: moto doesn't know our sessions; we answer with the identity
  behind them (the IAM user for GetSessionToken, the assumed role for AssumeRole).
- Expiration is sent in whole seconds, as STS does, not moto's fractional form.
- EnableMFADevice: moto accepts any codes, so a wrong TOTP implementation would pass.
- DeleteVirtualMFADevice: moto deletes a device still enabled for a user; IAM refuses
  (DeleteConflict) until it is deactivated, which is what undoing a set-up must do.
  (CreateVirtualMFADevice needs no patch: moto's seed is random Base32 of 40 bytes; nor
  does ListVirtualMFADevices: moto honours AssignmentStatus.)
- Every STS and IAM call is logged, so tests can assert what awsenv asked AWS for.

Test-control endpoints, JSON in and out, in the spirit of moto's /moto-api/:
  POST /_awsenv/users            {"name"?, "mfa"?, "partition"?} -> user, active key, MFA
                                 seed; in the partition given (aws, aws-cn, aws-us-gov: each
                                 is its own IAM, reached with a region of that partition)
  POST /_awsenv/roles            {"name"?, "require_mfa"?, "external_id"?,
                                  "max_session_duration"?, "partition"?} -> {"name", "arn"}
  POST /_awsenv/keys/deactivate  {"access_key_id"} -> {}
  GET  /_awsenv/calls            -> [{"action", "access_key_id", "status", "user_agent"}, ...]
  GET  /_awsenv/totp?seed=B32&offset=0 -> {"code"}
  GET  /_awsenv/mfa-devices      -> [{"serial", "user"}, ...] (user null: not enabled)
  POST /_awsenv/fail             {"action", "user", "after"?, "times"?, "status"?} -> {}:
                                 after letting `after` calls of that action by that user
                                 through, the next `times` answer AccessDenied (a step made to
                                 fail, for tests), or with "status": 503, ServiceUnavailable
                                 (which the SDKs retry)
  GET  /_awsenv/keys?user=NAME   -> [access key id, ...]
  POST /_awsenv/delay            {"action", "user", "seconds"} -> {}: the next call of that
                                 action by that user takes effect (and is logged in /calls)
                                 at once, but is answered `seconds` later: a window for a test
                                 to interrupt awsenv while AWS has acted and it cannot know
  POST /_awsenv/lifetimes        {"user", "role"?, "session"?} -> {}: caps, in seconds, the
                                 AssumeRole and GetSessionToken sessions issued to that user's
                                 key or to sessions made from it (AWS's 15-minute minimum would
                                 leave renewal untestable); the credentials still expire for real
  POST /_awsenv/clock            {"user", "offset"} -> {}: AWS's clock runs `offset` seconds
                                 ahead of this machine's (behind when negative) for that user's
                                 calls and the sessions made from them: their Date header, the
                                 expirations issued, and when those sessions count as expired
"""

import base64
import hmac
import io
import json
import logging
import os
import re
import secrets
import struct
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.exceptions import ServiceException
from moto.iam.exceptions import NotFoundException
from moto.iam.models import User, get_account_id_from, iam_backends
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.sts.models import sts_backends
from moto.sts.utils import random_session_token
from moto.utilities.utils import get_partition
from werkzeug.datastructures import EnvironHeaders
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
IAM_NAMESPACE = "https://iam.amazonaws.com/doc/2010-05-08/"
CALLER_CHECKED_ACTIONS = {
    "GetSessionToken",
    "AssumeRole",
    "GetCallerIdentity",
    "GetFederationToken",
}
INVALID_MFA_CODE = (
    "MultiFactorAuthentication failed with invalid MFA one time pass code. "
)
UNKNOWN_MFA_DEVICE = (
    "MultiFactorAuthentication failed, unable to validate MFA code. Please verify "
    "your MFA serial number is valid and associated with this user."
)
ROLE_ARN = re.compile(r"arn:[\w-]+:iam::(\d{12}):role/")
AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=([^/]*)/\d{8}/([^/]+)/([^/]+)/aws4_request,"
    r"\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]+)"
)
TOTP_STEP_SECONDS = 30


@dataclass
class Principal:
    """Who signed a request: an IAM user's own key, or a session issued here."""

    arn: str
    user_id: str
    account: str
    secret: str
    token: str | None = None  # None for an IAM user's long-term key
    user: User | None = None  # the IAM user behind the key, if any
    mfa: bool = False
    expires: datetime | None = None
    # Whose clock (/_awsenv/clock) a role session keeps: the user it was made from.
    clock_user: str | None = None


SESSIONS: dict[str, Principal] = {}
CALLS: list[dict] = []


class AwsError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def response(self, namespace: str) -> Response:
        request_id = str(uuid.uuid4())
        body = (
            f'<ErrorResponse xmlns="{namespace}"><Error><Type>Sender</Type>'
            f"<Code>{self.code}</Code><Message>{escape(self.message)}</Message>"
            f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        return xml_response(body, request_id, self.status)


def access_denied(message: str) -> AwsError:
    return AwsError(403, "AccessDenied", message)


def validation_error(message: str) -> AwsError:
    return AwsError(400, "ValidationError", message)


def invalid_client_token() -> AwsError:
    return AwsError(
        403,
        "InvalidClientTokenId",
        "The security token included in the request is invalid.",
    )


def xml_response(body: str, request_id: str, status: int = 200) -> Response:
    return Response(
        body,
        status=status,
        content_type="text/xml",
        headers={"x-amzn-RequestId": request_id},
    )


def sts_result(action: str, result: dict) -> Response:
    request_id = str(uuid.uuid4())
    body = (
        f'<{action}Response xmlns="{STS_NAMESPACE}"><{action}Result>{to_xml(result)}'
        f"</{action}Result><ResponseMetadata><RequestId>{request_id}</RequestId>"
        f"</ResponseMetadata></{action}Response>"
    )
    return xml_response(body, request_id)


def to_xml(fields: dict) -> str:
    return "".join(
        f"<{tag}>{to_xml(value) if isinstance(value, dict) else escape(value)}</{tag}>"
        for tag, value in fields.items()
    )


# --- SigV4 ---------------------------------------------------------------------


@dataclass
class Authorization:
    access_key_id: str
    region: str
    service: str
    signed_headers: list[str]
    signature: str

    @classmethod
    def parse(cls, header: str) -> "Authorization | None":
        match = AUTHORIZATION.match(header)
        if not match:
            return None
        key, region, service, signed, signature = match.groups()
        return cls(key, region, service.lower(), signed.split(";"), signature)


class ClientSignedHeaders(SigV4Auth):
    # botocore picks the headers to sign by its own rules; the verifier must use
    # exactly the ones the client listed in SignedHeaders, whatever its SDK.
    def headers_to_sign(self, request: AWSRequest):
        return request.headers


def signature_matches(
    environ: dict, body: bytes, auth: Authorization, principal: Principal
) -> bool:
    headers = EnvironHeaders(environ)
    request = AWSRequest(
        method=environ["REQUEST_METHOD"],
        url=environ.get("RAW_URI") or environ.get("PATH_INFO", "/"),
        data=body,
        headers={name: headers.get(name, "") for name in auth.signed_headers},
    )
    request.context["timestamp"] = headers.get("X-Amz-Date", "")
    credentials = Credentials(auth.access_key_id, principal.secret)
    signer = ClientSignedHeaders(credentials, auth.service, auth.region)
    string_to_sign = signer.string_to_sign(request, signer.canonical_request(request))
    return hmac.compare_digest(
        signer.signature(string_to_sign, request), auth.signature
    )


# --- TOTP (RFC 6238: SHA1, 30 s steps, 6 digits) ------------------------------


def totp(seed: str, step: int) -> str:
    key = base64.b32decode(seed.upper() + "=" * (-len(seed) % 8))
    digest = hmac.digest(key, struct.pack(">Q", step), "sha1")
    offset = digest[-1] & 0x0F
    code = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{code % 1_000_000:06d}"


def current_step() -> int:
    return int(time.time()) // TOTP_STEP_SECONDS


# --- STS -----------------------------------------------------------------------


def resolve_caller(environ: dict, body: bytes, auth: Authorization) -> Principal:
    token = environ.get("HTTP_X_AMZ_SECURITY_TOKEN")
    principal = SESSIONS.get(auth.access_key_id)
    if principal is not None:
        if token is None or not hmac.compare_digest(token, principal.token):
            raise invalid_client_token()
        if principal.expires <= now_for(principal):
            raise AwsError(
                403,
                "ExpiredToken",
                "The security token included in the request is expired",
            )
    else:
        account = get_account_id_from(auth.access_key_id)
        iam = iam_backends[account][get_partition(auth.region)]
        key = iam.access_keys.get(auth.access_key_id)
        # Temporary keys have no user_name: they are only valid as sessions.
        if key is None or key.user_name is None or key.status != "Active" or token:
            raise invalid_client_token()
        user = iam.get_user(key.user_name)
        principal = Principal(
            user.arn, user.id, account, secret=key.secret_access_key, user=user
        )
    if not signature_matches(environ, body, auth, principal):
        raise AwsError(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you "
            "provided. Check your AWS Secret Access Key and signing method.",
        )
    return principal


def duration_seconds(params: dict, default: int, maximum: int) -> int:
    raw = params.get("DurationSeconds")
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise validation_error(
            f"1 validation error detected: Value '{raw}' at 'durationSeconds' "
            "failed to satisfy constraint: Member must be a number"
        ) from None
    if value < 900:
        rule = "greater than or equal to 900"
    elif value > maximum:
        rule = f"less than or equal to {maximum}"
    else:
        return value
    raise validation_error(
        f"1 validation error detected: Value '{value}' at 'durationSeconds' "
        f"failed to satisfy constraint: Member must have value {rule}"
    )


def valid_mfa_code_given(caller: Principal, params: dict) -> bool:
    """False when no MFA was offered; raises unless the offered code is right."""
    serial, code = params.get("SerialNumber"), params.get("TokenCode")
    if serial is None and code is None:
        return False
    if serial is None or code is None:
        raise validation_error("SerialNumber and TokenCode must be specified together.")
    if not re.fullmatch(r"\d{6}", code):
        raise validation_error(
            f"1 validation error detected: Value '{code}' at 'tokenCode' failed to "
            r"satisfy constraint: Member must satisfy regular expression pattern: [\d]*"
        )
    # AWS only takes an MFA code along with the user's own long-term key.
    user = None if caller.token else caller.user
    if user is None or serial not in user.mfa_devices:
        raise access_denied(UNKNOWN_MFA_DEVICE)
    iam = iam_backends[user.account_id][get_partition(user.region_name)]
    device = iam.virtual_mfa_devices.get(serial)
    if device is None:
        raise access_denied(UNKNOWN_MFA_DEVICE)  # a hardware device: no seed known
    now = current_step()
    seed = device.base32_string_seed
    if not any(code == totp(seed, step) for step in (now - 1, now, now + 1)):
        raise access_denied(INVALID_MFA_CODE)
    return True


def issue_credentials(account: str, region: str) -> tuple[str, str, str]:
    """A fresh key pair registered with moto's IAM, as moto does for AssumeRole."""
    key = iam_backends[account][get_partition(region)].create_temp_access_key()
    return key.access_key_id, key.secret_access_key, random_session_token()


def clock_user_of(principal: "Principal | None") -> str | None:
    if principal is None:
        return None
    return principal.user.name if principal.user else principal.clock_user


def now_for(principal: "Principal | None") -> datetime:
    """AWS's clock as the user behind `principal` sees it (see /_awsenv/clock)."""
    return datetime.now(UTC) + timedelta(seconds=CLOCKS.get(clock_user_of(principal), 0))


def expiry(caller: Principal, duration: int) -> datetime:
    now = now_for(caller).replace(microsecond=0)
    return now + timedelta(seconds=duration)


def credentials_result(key: str, session: Principal) -> dict:
    return {
        "Credentials": {
            "AccessKeyId": key,
            "SecretAccessKey": session.secret,
            "SessionToken": session.token,
            "Expiration": session.expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    }


def get_session_token(caller: Principal, params: dict, auth: Authorization):
    if caller.token:
        raise access_denied("Cannot call GetSessionToken with session credentials")
    duration = duration_seconds(params, default=43200, maximum=129600)
    duration = capped(caller, "session", duration)
    mfa = valid_mfa_code_given(caller, params)
    key, secret, token = issue_credentials(caller.account, auth.region)
    session = Principal(
        caller.arn,
        caller.user_id,
        caller.account,
        secret=secret,
        token=token,
        user=caller.user,
        mfa=mfa,
        expires=expiry(caller, duration),
    )
    SESSIONS[key] = session
    return sts_result("GetSessionToken", credentials_result(key, session))


def trust_conditions(role) -> tuple[bool, list[str] | None]:
    """Whether the trust policy wants MFA, and which ExternalIds it accepts."""
    statements = json.loads(role.assume_role_policy_document)["Statement"]
    require_mfa, external_ids = False, None
    for statement in as_list(statements):
        condition = statement.get("Condition", {})
        mfa = condition.get("Bool", {}).get("aws:MultiFactorAuthPresent")
        if any(str(value).lower() == "true" for value in as_list(mfa)):
            require_mfa = True
        wanted = condition.get("StringEquals", {}).get("sts:ExternalId")
        if wanted is not None:
            external_ids = as_list(wanted)
    return require_mfa, external_ids


def as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def assume_role(caller: Principal, params: dict, auth: Authorization):
    session_name = params.get("RoleSessionName")
    if session_name is None:
        raise validation_error(
            "1 validation error detected: Value null at 'roleSessionName' failed "
            "to satisfy constraint: Member must not be null"
        )
    if not re.fullmatch(r"[\w+=,.@-]{2,64}", session_name):
        raise validation_error(
            f"1 validation error detected: Value '{session_name}' at "
            "'roleSessionName' failed to satisfy constraint: Member must have "
            r"length between 2 and 64 and match pattern [\w+=,.@-]*"
        )
    duration = duration_seconds(params, default=3600, maximum=43200)
    role_arn = params.get("RoleArn", "")
    not_authorized = access_denied(
        f"User: {caller.arn} is not authorized to perform: sts:AssumeRole "
        f"on resource: {role_arn}"
    )
    match = ROLE_ARN.match(role_arn)
    if not match:
        raise not_authorized
    iam = iam_backends[match.group(1)][get_partition(auth.region)]
    try:
        role = iam.get_role_by_arn(role_arn)
    except NotFoundException:
        raise not_authorized from None

    mfa = valid_mfa_code_given(caller, params) or caller.mfa
    require_mfa, external_ids = trust_conditions(role)
    if require_mfa and not mfa:
        raise not_authorized
    if external_ids is not None and params.get("ExternalId") not in external_ids:
        raise not_authorized
    if caller.token and duration > 3600:
        raise validation_error(
            "The requested DurationSeconds exceeds the 1 hour session limit "
            "for roles assumed by role chaining."
        )
    if duration > int(role.max_session_duration or 3600):
        raise validation_error(
            "The requested DurationSeconds exceeds the MaxSessionDuration set "
            "for this role."
        )

    duration = capped(caller, "role", duration)
    assumed = sts_backends[role.account_id][get_partition(auth.region)].assume_role(
        region_name=auth.region,
        role_session_name=session_name,
        role_arn=role_arn,
        policy=params.get("Policy"),
        duration=duration,
        external_id=params.get("ExternalId"),
    )
    session = Principal(
        assumed.arn,
        assumed.user_id,
        assumed.account_id,
        secret=assumed.secret_access_key,
        token=assumed.session_token,
        mfa=mfa,
        expires=expiry(caller, duration),
        clock_user=clock_user_of(caller),
    )
    SESSIONS[assumed.access_key_id] = session
    result = credentials_result(assumed.access_key_id, session)
    result["AssumedRoleUser"] = {"AssumedRoleId": session.user_id, "Arn": session.arn}
    return sts_result("AssumeRole", result)


def get_caller_identity(caller: Principal, params: dict, auth: Authorization):
    return sts_result(
        "GetCallerIdentity",
        {"UserId": caller.user_id, "Account": caller.account, "Arn": caller.arn},
    )


STS_HANDLERS = {
    "GetSessionToken": get_session_token,
    "AssumeRole": assume_role,
    "GetCallerIdentity": get_caller_identity,
}


def patch_sts(environ: dict, body: bytes, params: dict, auth: Authorization):
    action = params.get("Action")
    if action not in CALLER_CHECKED_ACTIONS:
        return None
    caller = resolve_caller(environ, body, auth)
    handler = STS_HANDLERS.get(action)
    return handler(caller, params, auth) if handler else None


# --- IAM -----------------------------------------------------------------------


def patch_iam(environ: dict, body: bytes, params: dict, auth: Authorization):
    action = params.get("Action")
    if action not in ("EnableMFADevice", "DeleteVirtualMFADevice"):
        return None
    account = get_account_id_from(auth.access_key_id)
    iam = iam_backends[account][get_partition(auth.region)]
    device = iam.virtual_mfa_devices.get(params.get("SerialNumber"))
    if action == "DeleteVirtualMFADevice":
        if device is not None and device.user is not None:
            raise AwsError(409, "DeleteConflict", "MFA Device is still in use")
        return None
    if device is None:
        return None  # not a virtual device: no seed to check against
    codes = (params.get("AuthenticationCode1"), params.get("AuthenticationCode2"))
    now = current_step()
    seed = device.base32_string_seed
    accepted = [(totp(seed, s - 1), totp(seed, s)) for s in (now - 1, now, now + 1)]
    if codes not in accepted:
        raise AwsError(
            403,
            "InvalidAuthenticationCode",
            "Authentication code for device is not valid.",
        )
    return None


# --- Test-control endpoints ----------------------------------------------------


# Each partition's region where IAM lives.
PARTITION_REGIONS = {"aws": "us-east-1", "aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1"}


def iams(account: str):
    """The account's IAM in each partition."""
    return [iam_backends[account][partition] for partition in PARTITION_REGIONS]


def create_user(body: dict) -> dict:
    partition = body.get("partition") or "aws"
    iam = iam_backends[DEFAULT_ACCOUNT_ID][partition]
    name = body.get("name") or f"user-{secrets.token_hex(4)}"
    user = iam.create_user(region_name=PARTITION_REGIONS[partition], user_name=name)
    key = iam.create_access_key(name)
    serial = seed = None
    if body.get("mfa"):
        device = iam.create_virtual_mfa_device(name, "/")
        serial, seed = device.serial_number, device.base32_string_seed
        now = current_step()
        iam.enable_mfa_device(name, serial, totp(seed, now - 1), totp(seed, now))
    return {
        "name": name,
        "arn": user.arn,
        "user_id": user.id,
        "account": DEFAULT_ACCOUNT_ID,
        "access_key_id": key.access_key_id,
        "secret_access_key": key.secret_access_key,
        "mfa_serial": serial,
        "seed": seed,
    }


def create_role(body: dict) -> dict:
    condition = {}
    if body.get("require_mfa"):
        condition["Bool"] = {"aws:MultiFactorAuthPresent": "true"}
    if body.get("external_id") is not None:
        condition["StringEquals"] = {"sts:ExternalId": body["external_id"]}
    partition = body.get("partition") or "aws"
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:{partition}:iam::{DEFAULT_ACCOUNT_ID}:root"},
        "Action": "sts:AssumeRole",
    }
    if condition:
        statement["Condition"] = condition
    role = iam_backends[DEFAULT_ACCOUNT_ID][partition].create_role(
        role_name=body.get("name") or f"role-{secrets.token_hex(4)}",
        assume_role_policy_document=json.dumps(
            {"Version": "2012-10-17", "Statement": [statement]}
        ),
        path="/",
        permissions_boundary=None,
        description="",
        tags=[],
        max_session_duration=body.get("max_session_duration", 3600),
    )
    return {"name": role.name, "arn": role.arn}


def deactivate_key(body: dict) -> dict:
    key_id = body["access_key_id"]
    for iam in iams(get_account_id_from(key_id)):
        if key_id in iam.access_keys:
            iam.access_keys[key_id].status = "Inactive"
    return {}


# (action, user) -> [calls to let through first, calls to fail then]: lets a test break one
# step of a sequence, even a step whose action was called before it, for its own user only
# (tests run in parallel against this one server).
FAILURES: dict[tuple[str, str], list[int]] = {}


def user_keys(query: dict) -> list:
    for iam in iams(DEFAULT_ACCOUNT_ID):
        if query["user"] in iam.users:
            return [k.access_key_id for k in iam.get_user(query["user"]).access_keys]
    return []


def fail_next(body: dict) -> dict:
    key = (body["action"], body["user"])
    FAILURES[key] = [
        int(body.get("after", 0)),
        int(body.get("times", 1)),
        int(body.get("status", 403)),
    ]
    return {}


def user_of(access_key_id: str) -> str | None:
    session = SESSIONS.get(access_key_id)
    if session is not None:
        return session.user.name if session.user else None
    for iam in iams(get_account_id_from(access_key_id)):
        key = iam.access_keys.get(access_key_id)
        if key:
            return key.user_name
    return None


def injected_failure(action: str, access_key_id: str) -> int | None:
    """The status a test asked this call to fail with, if any."""
    after_times = FAILURES.get((action, user_of(access_key_id)))
    if not after_times:
        return None
    if after_times[0] > 0:
        after_times[0] -= 1
        return None
    if after_times[1] > 0:
        after_times[1] -= 1
        return after_times[2]
    return None


# (action, user) -> seconds to hold the answer of the next such call.
DELAYS: dict[tuple[str, str], float] = {}


def delay_next(body: dict) -> dict:
    DELAYS[(body["action"], body["user"])] = float(body["seconds"])
    return {}


# user name -> {"role": seconds, "session": seconds}, per user: tests run in parallel against
# this one server, and most of them want AWS's own durations.
LIFETIMES: dict[str, dict[str, int]] = {}
# user -> seconds AWS's clock runs ahead of this machine's for that user's calls.
CLOCKS: dict[str, int] = {}


def set_clock(body: dict) -> dict:
    CLOCKS[body["user"]] = int(body["offset"])
    return {}


def set_lifetimes(body: dict) -> dict:
    LIFETIMES[body["user"]] = {
        kind: int(body[kind]) for kind in ("role", "session") if body.get(kind) is not None
    }
    return {}


def capped(caller: Principal, kind: str, duration: int) -> int:
    """`duration`, shortened to what a test set for the user behind `caller`."""
    user = caller.user.name if caller.user else None
    cap = LIFETIMES.get(user, {}).get(kind)
    return min(duration, cap) if cap else duration


def mfa_devices(_: dict) -> list:
    # Lets tests see devices that are not enabled for anyone, which IAM's ListMFADevices
    # never shows: a half-made set-up leaves exactly those behind.
    return [
        {"serial": serial, "user": device.user.name if device.user else None}
        for iam in iams(DEFAULT_ACCOUNT_ID)
        for serial, device in iam.virtual_mfa_devices.items()
    ]


def totp_code(query: dict) -> dict:
    return {"code": totp(query["seed"], current_step() + int(query.get("offset", 0)))}


CONTROL_ENDPOINTS = {
    ("POST", "/_awsenv/users"): create_user,
    ("POST", "/_awsenv/roles"): create_role,
    ("POST", "/_awsenv/keys/deactivate"): deactivate_key,
    ("GET", "/_awsenv/calls"): lambda _: list(CALLS),
    ("GET", "/_awsenv/totp"): totp_code,
    ("GET", "/_awsenv/mfa-devices"): mfa_devices,
    ("POST", "/_awsenv/fail"): fail_next,
    ("GET", "/_awsenv/keys"): user_keys,
    ("POST", "/_awsenv/delay"): delay_next,
    ("POST", "/_awsenv/lifetimes"): set_lifetimes,
    ("POST", "/_awsenv/clock"): set_clock,
}


def control(request: Request) -> Response:
    endpoint = CONTROL_ENDPOINTS.get((request.method, request.path))
    if endpoint is None:
        return json_response({"error": "no such endpoint"}, 404)
    try:
        # The body is read as JSON whatever its Content-Type, so that test helpers
        # in any language (or curl -d) need no ceremony.
        argument = (
            request.args.to_dict()
            if request.method == "GET"
            else json.loads(request.get_data() or b"{}")
        )
        return json_response(endpoint(argument))
    except (KeyError, ValueError, ServiceException) as error:
        return json_response({"error": repr(error)}, 400)


def json_response(value, status: int = 200) -> Response:
    return Response(json.dumps(value), status=status, content_type="application/json")


# --- WSGI ----------------------------------------------------------------------


class PatchedMoto:
    def __init__(self):
        self.moto = DomainDispatcherApplication(create_backend_app)

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith("/_awsenv/"):
            return control(Request(environ))(environ, start_response)
        auth = Authorization.parse(environ.get("HTTP_AUTHORIZATION", ""))
        if auth is None or auth.service not in ("sts", "iam"):
            return self.moto(environ, start_response)

        body = Request(environ).get_data()
        environ["wsgi.input"] = io.BytesIO(body)  # moto reads it again
        environ["CONTENT_LENGTH"] = str(len(body))
        params = dict(parse_qsl(environ.get("QUERY_STRING", "")))
        params.update(
            parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        )

        def logged_start_response(status, headers, exc_info=None):
            user = clock_user_of(SESSIONS.get(auth.access_key_id)) or user_of(
                auth.access_key_id
            )
            # The Date the handler sends (see ClockedRequestHandler) is by this user's clock.
            ANSWER_CLOCK.offset = CLOCKS.get(user, 0)
            CALLS.append(
                {
                    "action": params.get("Action"),
                    "access_key_id": auth.access_key_id,
                    "status": int(status.split()[0]),
                    "user_agent": environ.get("HTTP_USER_AGENT", ""),
                }
            )
            return start_response(status, headers, exc_info)

        if auth.service == "sts":
            patch, namespace = patch_sts, STS_NAMESPACE
        else:
            patch, namespace = patch_iam, IAM_NAMESPACE
        try:
            action = params.get("Action")
            status = injected_failure(action, auth.access_key_id)
            if status == 503:
                raise AwsError(503, "ServiceUnavailable", "Try again, as a test asked")
            if status:
                raise AwsError(status, "AccessDenied", f"{action} failed, as a test asked")
            response = patch(environ, body, params, auth)
        except AwsError as error:
            response = error.response(namespace)
        app = response if response is not None else self.moto
        delay = DELAYS.pop((action, user_of(auth.access_key_id)), 0) if DELAYS else 0
        answer = app(environ, logged_start_response)
        if delay:
            # The app has acted (and logged the call); the answer leaves when we return.
            time.sleep(delay)
        return answer


# The clock offset of the answer the current thread is writing (one thread per request).
ANSWER_CLOCK = threading.local()


class ClockedRequestHandler(MotoRequestHandler):
    """Sends the Date header by the clock of the user whose call it answers: http.server
    writes Date itself, before the application's headers."""

    def date_time_string(self, timestamp=None):
        offset = getattr(ANSWER_CLOCK, "offset", 0)
        ANSWER_CLOCK.offset = 0
        return super().date_time_string((timestamp or time.time()) + offset)


def main() -> None:
    # One log line per request would drown the test output; errors still show.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server(
        "127.0.0.1",
        0,
        PatchedMoto(),
        threaded=True,
        request_handler=ClockedRequestHandler,
    )
    print(f"port {server.port}", flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.buffer.read()
    os._exit(0)


if __name__ == "__main__":
    main()
