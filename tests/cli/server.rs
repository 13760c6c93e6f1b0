//! `exec --server` and `shell --server`: the command gets a credential endpoint on loopback
//! instead of keys, and keeps working across many short sessions. The patched moto issues
//! sessions of 25-40 s for these tests' users (POST /_awsenv/lifetimes), and refuses them
//! once expired, as AWS does.

use crate::support::pty::Pty;
use crate::support::{Home, User, assert_no_secret, moto, register_secret};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;
use std::process::Stdio;
use std::time::Duration;

/// Fails if a terminal shows a secret: the session `account` has cached, or any seen before.
fn no_secret_on(home: &Home, account: &str, screen: &str) {
    let cached = home.read_cache(account);
    for key in ["secret_access_key", "session_token"] {
        register_secret(cached[key].as_str().unwrap());
    }
    assert_no_secret(screen, "the terminal");
}

/// Writes `text` into the home as `name`, for the command to run.
fn script(home: &Home, name: &str, text: &str) -> String {
    let path = home.dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

/// The one line of `stdout` that starts with `prefix`, as JSON.
fn report(stdout: &str, prefix: &str) -> Value {
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no {prefix} line in:\n{stdout}"));
    serde_json::from_str(line).unwrap()
}

fn assume_role_calls(user: &User) -> usize {
    moto()
        .calls_by(&user.access_key_id)
        .iter()
        .filter(|a| *a == "AssumeRole")
        .count()
}

/// boto3 in one long-lived process and the AWS CLI started again and again, side by side, as
/// terraform and its providers would be.
const BOTO3_LOOP: &str = r#"
import json, sys, time
import boto3
sts = boto3.client("sts")
end = time.time() + float(sys.argv[1])
ok, failed, arns = 0, [], set()
while time.time() < end:
    try:
        arns.add(sts.get_caller_identity()["Arn"])
        ok += 1
    except Exception as e:
        failed.append(str(e))
    time.sleep(3)
print("boto3 " + json.dumps({"ok": ok, "failed": failed, "arns": sorted(arns)}), flush=True)
"#;

const CLI_LOOP: &str = r#"
python "$1" "$2" &
ok=0 failed=0 end=$((SECONDS + $2))
while [ $SECONDS -lt $end ]; do
    if aws sts get-caller-identity --query Arn --output text >/dev/null 2>cli.err; then
        ok=$((ok + 1))
    else
        failed=$((failed + 1)); cat cli.err
    fi
    sleep 4
done
echo "cli {\"ok\": $ok, \"failed\": $failed}"
wait
"#;

#[test]
fn a_long_command_outlives_many_role_sessions() {
    let home = Home::new();
    let user = moto().user(false);
    let role = moto().role(false, None, 3600);
    moto().lifetimes(&user, Some(25), None);
    home.user_account("base", &user)
        .role_account("work", &role, "base");
    let boto3 = script(&home, "boto3_loop.py", BOTO3_LOOP);
    let cli = script(&home, "cli_loop.sh", CLI_LOOP);
    // More than three 25 s sessions, each renewed from 10 s before its end: long enough to
    // prove it, short enough for the suite's budget.
    let seconds = "80";
    let out = home
        .awsenv(&[
            "exec", "--server", "work", "--", "bash", &cli, &boto3, seconds,
        ])
        .env("AWSENV_EXPIRY_MARGIN", "10")
        .current_dir(&home.dir)
        .output()
        .unwrap();
    let out = home.output(out, true).ok();

    let boto3 = report(&out.stdout, "boto3 ");
    assert_eq!(boto3["failed"], serde_json::json!([]), "{}", out.stdout);
    assert!(boto3["ok"].as_u64().unwrap() >= 18, "{}", out.stdout);
    let arns = boto3["arns"].as_array().unwrap();
    assert!(arns.len() >= 4, "one role session per renewal: {arns:?}");
    assert!(
        arns.iter()
            .all(|a| a.as_str().unwrap().contains(":assumed-role/")),
        "{arns:?}"
    );
    let cli = report(&out.stdout, "cli ");
    assert_eq!(cli["failed"], 0, "{}", out.stdout);
    assert!(cli["ok"].as_u64().unwrap() >= 9, "{}", out.stdout);
    // One renewal for both clients each time, not one per request.
    let assumed = assume_role_calls(&user);
    assert!((4..=8).contains(&assumed), "AssumeRole {assumed} times");
    assert!(!out.stderr.contains("session has ended"), "{}", out.stderr);
}

/// Runs inside the command: what it has, and what the endpoint answers whom.
const PROBE: &str = r#"
import json, os, socket, subprocess, urllib.error, urllib.request
uri = os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
token = os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
port = int(uri.split(":")[2].split("/")[0])

def get(authorization, url=uri):
    request = urllib.request.Request(url)
    if authorization is not None:
        request.add_header("Authorization", authorization)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())

def refused(host, family=socket.AF_INET):
    s = socket.socket(family)
    s.settimeout(2)
    try:
        s.connect((host, port))
        return False
    except OSError:
        return True
    finally:
        s.close()

def silent_client_held():
    """Seconds the endpoint keeps a connection that never sends its request."""
    import time
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(10)
    start = time.monotonic()
    try:
        s.recv(1)
    except OSError:
        pass
    s.close()
    return time.monotonic() - start

status, credentials = get(token)
secrets = [token, credentials["SecretAccessKey"], credentials["Token"]]
argv = []
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv.append(f.read().decode("utf-8", "replace"))
    except OSError:
        pass
# A child that outlives the command must not keep the endpoint open.
orphan = subprocess.Popen(["sleep", "60"], stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
wrong = ("0" if token[0] != "0" else "1") + token[1:]
print("probe " + json.dumps({
    "uri": uri,
    "port": port,
    "orphan": orphan.pid,
    "env": sorted(k for k in os.environ if k.startswith(("AWS", "AWSENV"))),
    "region": os.environ.get("AWS_REGION"),
    "ok": [status, sorted(credentials)],
    "expiration": credentials["Expiration"],
    "no_token": get(None),
    "wrong_token": get(wrong),
    "short_token": get(token[:-1])[0],
    "silent_client_held": silent_client_held(),
    "other_path": get(token, uri.replace("/credentials", "/other"))[0],
    "secret_in_argv": any(s in a for s in secrets for a in argv),
    "other_loopback_refused": refused("127.0.0.2"),
    "ipv6_refused": refused("::1", socket.AF_INET6),
}), flush=True)
raise SystemExit(7)
"#;

#[test]
fn the_endpoint_serves_only_its_token_on_loopback_while_the_command_runs() {
    let home = Home::new();
    home.user_account("dev", &moto().user(false));
    let probe = script(&home, "probe.py", PROBE);
    // A shell that had other credentials, and a container endpoint an SDK would prefer.
    let out = home
        .awsenv(&["exec", "--server", "dev", "--", "python", &probe])
        .env("AWS_ACCESS_KEY_ID", "AKIAPARENTSHELLKEY00")
        .env("AWS_SECRET_ACCESS_KEY", "parent-shell-secret")
        .env("AWS_SESSION_TOKEN", "parent-shell-token")
        .env("AWS_CREDENTIAL_EXPIRATION", "2030-01-01T00:00:00Z")
        .env("AWS_PROFILE", "dev")
        .env("AWSENV_ACCOUNT", "dev")
        .env(
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "/v2/credentials/x",
        )
        .env("AWSENV_COLORS", "0")
        .output()
        .unwrap();
    let out = home.output(out, true).fails(7);
    let probe = report(&out.stdout, "probe ");

    let env: Vec<&str> = probe["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for gone in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_CREDENTIAL_EXPIRATION",
        "AWS_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWSENV_ACCOUNT",
    ] {
        assert!(!env.contains(&gone), "{gone} in {env:?}");
    }
    for kept in [
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWSENV_COLORS",
    ] {
        assert!(env.contains(&kept), "{kept} not in {env:?}");
    }
    assert_eq!(probe["region"], "eu-west-1");
    assert!(
        probe["uri"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:")
    );

    let fields = serde_json::json!([
        200,
        ["AccessKeyId", "Expiration", "SecretAccessKey", "Token"]
    ]);
    assert_eq!(probe["ok"], fields);
    assert_eq!(probe["expiration"], home.read_cache("dev")["expiration"]);
    assert_eq!(probe["no_token"][0], 401, "{probe}");
    assert_eq!(probe["wrong_token"][0], 403, "{probe}");
    assert!(probe["wrong_token"][1]["message"].is_string(), "{probe}");
    assert_eq!(probe["short_token"], 403);
    // Any local user may connect: one that sends nothing gives its slot back within seconds.
    let held = probe["silent_client_held"].as_f64().unwrap();
    assert!(held < 3.5, "a silent client held a slot for {held}s");
    assert_eq!(probe["other_path"], 404);
    assert_eq!(probe["secret_in_argv"], false);
    assert_eq!(
        probe["other_loopback_refused"], true,
        "bound to 127.0.0.1 only"
    );
    assert_eq!(probe["ipv6_refused"], true);

    // awsenv has exited with the command: nothing listens there any more, although a child
    // of the command still runs.
    let orphan = nix::unistd::Pid::from_raw(probe["orphan"].as_i64().unwrap() as i32);
    let port = probe["port"].as_u64().unwrap() as u16;
    let connected = TcpStream::connect_timeout(
        &(std::net::Ipv4Addr::LOCALHOST, port).into(),
        Duration::from_secs(2),
    );
    let _ = nix::sys::signal::kill(orphan, nix::sys::signal::Signal::SIGKILL);
    assert!(connected.is_err(), "the endpoint outlived the command");
}

#[test]
fn signals_reach_the_command_and_its_end_is_awsenvs() {
    use nix::sys::signal::{Signal, kill};
    let home = Home::new();
    home.user_account("dev", &moto().user(false));
    for (signal, status) in [
        (Signal::SIGTERM, 42),
        (Signal::SIGINT, 43),
        (Signal::SIGHUP, 44),
    ] {
        // `wait` returns at once for a trapped signal. A foreground `sleep` would not do:
        // bash ignores a SIGINT that arrives while it waits for a child the SIGINT did not
        // kill (it takes the child to have handled it), so the test would depend on timing.
        let trap = format!(
            "trap 'echo got {signal}; exit {status}' {}; echo ready; \
             sleep 10 >/dev/null & wait $!; echo not signalled",
            &signal.as_str()[3..]
        );
        let mut child = home
            .awsenv(&["exec", "--server", "dev", "--", "bash", "-c", &trap])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        assert_eq!(line, "ready\n");
        kill(nix::unistd::Pid::from_raw(child.id() as i32), signal).unwrap();
        let mut rest = String::new();
        stdout.read_to_string(&mut rest).unwrap();
        let code = child.wait().unwrap().code();
        assert_eq!(rest, format!("got {signal}\n"));
        assert_eq!(code, Some(status), "{signal}");
    }
    // A command ended by a signal ends awsenv the same way, as a shell would see it.
    let out = home
        .awsenv(&[
            "exec",
            "--server",
            "dev",
            "--",
            "bash",
            "-c",
            "kill -TERM $$",
        ])
        .output()
        .unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(out.status.signal(), Some(15));
    home.run(&["exec", "--server", "dev", "--", "no-such-command-here"])
        .fails(127);
}

#[test]
fn ctrl_c_at_the_terminal_reaches_the_command_once() {
    let home = Home::new();
    home.user_account("dev", &moto().user(false));
    // The terminal signals the whole foreground group; passed on too, it would be a second
    // ctrl-C, which makes terraform give up its graceful stop.
    let counter = script(
        &home,
        "count.py",
        r#"
import signal, time
count = 0
def interrupted(number, frame):
    global count
    count += 1
signal.signal(signal.SIGINT, interrupted)
print("ready", flush=True)
end = time.time() + 3
while time.time() < end:
    time.sleep(0.1)
print(f"interrupts={count}.", flush=True)
"#,
    );
    let mut terminal =
        Pty::attached(home.awsenv(&["exec", "--server", "dev", "--", "python", &counter]));
    terminal.wait_for("ready");
    std::thread::sleep(Duration::from_millis(200));
    terminal.send("\x03");
    terminal.wait_for("interrupts=");
    assert_eq!(terminal.wait_for("."), "1.");
    assert_eq!(terminal.output().status.code(), Some(0));
    no_secret_on(&home, "dev", &terminal.screen());
}

/// Asks the endpoint every second until it has failed three times; then shows what the AWS
/// CLI says; then runs `awsenv mfa` with a fresh code, as the person would in another
/// terminal, and asks again.
const MFA_PROBE: &str = r#"
import json, os, subprocess, time, urllib.error, urllib.request
def get():
    request = urllib.request.Request(os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"])
    request.add_header("Authorization", os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"])
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())["Expiration"]
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())["message"]
answers, failures, end = [], 0, time.time() + 60
while failures < 3 and time.time() < end:
    answer = get()
    answers.append(answer)
    failures += answer[0] != 200
    time.sleep(1)
# Bounded, so that an awsenv that waits on something shows up as a failure, not a hang.
cli = subprocess.run(["aws", "sts", "get-caller-identity"], capture_output=True, text=True,
                     timeout=30)
moto = os.environ["AWS_ENDPOINT_URL"]
with urllib.request.urlopen(f"{moto}/_awsenv/totp?seed={os.environ['SEED']}&offset=0") as r:
    code = json.loads(r.read())["code"]
subprocess.run(["awsenv", "mfa", "personal", "--code", code], stdout=subprocess.DEVNULL,
               check=True, timeout=30)
time.sleep(2.5)
print("mfa " + json.dumps({
    "answers": answers,
    "cli": [cli.returncode, cli.stderr],
    "after_mfa": get(),
}), flush=True)
"#;

#[test]
fn an_mfa_session_that_ends_is_an_error_said_once_and_never_a_prompt() {
    let home = Home::new();
    let alice = moto().user(true);
    moto().lifetimes(&alice, None, Some(25));
    home.user_account("personal", &alice);
    let probe = script(&home, "mfa_probe.py", MFA_PROBE);
    let mut cmd = home.awsenv(&["exec", "--server", "personal", "--", "python", &probe]);
    cmd.env("AWSENV_EXPIRY_MARGIN", "10")
        .env("SEED", alice.seed.as_deref().unwrap())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // The code is asked once, on the terminal, before the command starts.
    let mut terminal = Pty::spawn(cmd);
    terminal.wait_for("MFA code for personal");
    terminal.send(&format!("{}\n", moto().code(&alice)));
    let out = home.output(terminal.output(), true).ok();
    let screen = terminal.screen();
    assert_eq!(screen.matches("MFA code for").count(), 1, "{screen}");
    no_secret_on(&home, "personal", &screen);

    let probe = report(&out.stdout, "mfa ");
    let answers = probe["answers"].as_array().unwrap();
    assert_eq!(answers[0][0], 200, "{probe}");
    let last = answers.last().unwrap();
    assert_eq!(last[0], 503, "{probe}");
    let message = last[1].as_str().unwrap();
    assert!(message.contains("run awsenv mfa personal"), "{message}");
    // The SDK shows the endpoint's message.
    let (cli_status, cli_stderr) = (&probe["cli"][0], probe["cli"][1].as_str().unwrap());
    assert_ne!(cli_status, 0);
    assert!(
        cli_stderr.contains("run awsenv mfa personal"),
        "{cli_stderr}"
    );
    // Once the person has made a new MFA session, the command gets it.
    assert_eq!(probe["after_mfa"][0], 200, "{probe}");

    let said = |text: &str| out.stderr.matches(text).count();
    assert_eq!(said("about to end"), 1, "{}", out.stderr);
    assert_eq!(said("the session has ended"), 1, "{}", out.stderr);
    assert_eq!(said("has a session again"), 1, "{}", out.stderr);
}

#[test]
fn a_default_profile_with_credentials_of_its_own_is_refused() {
    let home = Home::new();
    let user = moto().user(false);
    home.user_account("dev", &user).keys("default", &user);
    for args in [
        &["exec", "--server", "dev", "--", "true"][..],
        &["shell", "--server", "dev"],
    ] {
        let out = home.run(args).fails(3);
        assert!(
            out.stderr
                .contains("dev: the default profile has aws_access_key_id"),
            "{}",
            out.stderr
        );
    }
    assert!(moto().calls_by(&user.access_key_id).is_empty());
}

#[test]
fn a_server_shell_keeps_the_endpoint_across_prompts() {
    let home = Home::new();
    let user = moto().user(false);
    home.user_account("dev", &user);
    let mut cmd = home.awsenv(&["shell", "--server", "dev"]);
    cmd.env("TERM", "dumb");
    let mut terminal = Pty::attached(cmd);
    terminal.wait_for("exit the shell to leave it");
    // Each line is a prompt of its own: the integration's hook runs between them.
    for _ in 0..2 {
        terminal.send(
            "aws sts get-caller-identity --query Arn --output text; \
             echo \"[keys ${AWS_ACCESS_KEY_ID:-none}]\"\n",
        );
        let shown = terminal.wait_for("]\r\n");
        assert!(shown.contains(&user.arn), "{shown}");
        assert!(shown.contains("[keys none]"), "{shown}");
    }
    terminal.send("exit 5\n");
    assert_eq!(terminal.output().status.code(), Some(5));
    no_secret_on(&home, "dev", &terminal.screen());
}
