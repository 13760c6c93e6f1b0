//! `awsenv mfa-device`: set up a virtual MFA device from the terminal (QR code read back by a
//! real decoder, codes computed from the seed it carries), remove it, discover one, and leave
//! nothing half-made when a step fails.

use crate::support::{Home, User, moto, pty::Pty};
use nix::fcntl::{FcntlArg, FdFlag, fcntl};
use nix::pty::{OpenptyResult, openpty};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Decodes a QR code given as rows of dark (true) modules.
fn decode(rows: &[Vec<bool>]) -> String {
    let scale = 4;
    let (h, w) = (rows.len(), rows[0].len());
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(w * scale, h * scale, |x, y| {
        if rows[y / scale][x / scale] { 0 } else { 255 }
    });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the picture");
    grids[0].decode().expect("the QR code decodes").1
}

/// The QR code drawn with half blocks on the terminal, back into module rows.
fn rows_from_terminal(screen: &str) -> Vec<Vec<bool>> {
    let mut rows = Vec::new();
    for line in screen.lines().filter(|l| l.contains("\x1b[30;107m")) {
        let body = line.split("\x1b[30;107m").nth(1).unwrap();
        let body = body.split("\x1b[0m").next().unwrap();
        let (mut top, mut bottom) = (Vec::new(), Vec::new());
        for c in body.chars() {
            let (t, b) = match c {
                ' ' => (false, false),
                '▀' => (true, false),
                '▄' => (false, true),
                '█' => (true, true),
                other => panic!("unexpected {other:?} in the QR code"),
            };
            top.push(t);
            bottom.push(b);
        }
        rows.push(top);
        rows.push(bottom);
    }
    rows
}

/// The PNG read back by Python's own zlib and a check of every chunk's CRC.
fn rows_from_png(path: &Path) -> Vec<Vec<bool>> {
    let script = r#"
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n"
pos, idat = 8, b""
while pos < len(data):
    (length,) = struct.unpack(">I", data[pos:pos + 4])
    kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
    (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
    assert zlib.crc32(kind + body) == crc, kind
    if kind == b"IHDR":
        width, height, depth, color = struct.unpack(">IIBB", body[:10])
        assert (depth, color) == (1, 0)
    if kind == b"IDAT":
        idat += body
    pos += 12 + length
raw, stride = zlib.decompress(idat), (width + 7) // 8 + 1
for y in range(height):
    row = raw[y * stride + 1:(y + 1) * stride]
    print("".join("0" if row[x // 8] & (0x80 >> (x % 8)) else "1" for x in range(width)))
"#;
    crate::support::python(script, &[path.as_ref()])
        .lines()
        .map(|l| l.bytes().map(|b| b == b'1').collect())
        .collect()
}

fn rows_from_svg(path: &Path) -> Vec<Vec<bool>> {
    let svg = std::fs::read_to_string(path).unwrap();
    let size: usize = svg
        .split("viewBox=\"0 0 ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let mut rows = vec![vec![false; size]; size];
    let path_data = svg
        .split(" d=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    for cell in path_data.split('M').filter(|c| !c.is_empty()) {
        let cell = cell.trim_end_matches("h1v1h-1z");
        let (x, y) = cell.split_once(' ').unwrap();
        rows[y.parse::<usize>().unwrap()][x.parse::<usize>().unwrap()] = true;
    }
    rows
}

fn expected_uri(user: &User, seed: &str) -> String {
    format!(
        "otpauth://totp/Amazon%20Web%20Services:{}@123456789012?secret={seed}\
         &issuer=Amazon%20Web%20Services",
        user.name
    )
}

/// Runs setup on a pty up to the first code prompt; returns the terminal and the seed read
/// from the QR code (checked against the key shown for typing).
fn start_setup(home: &Home, user: &User, args: &[&str]) -> (Pty, String) {
    let mut cmd = home.awsenv(&[&["mfa-device", "setup"], args].concat());
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut terminal = Pty::spawn(cmd);
    let screen = terminal.wait_for("Or enter this key by hand: ");
    let typed = terminal.wait_for("\n");
    let seed: String = typed.split_whitespace().collect();
    assert_eq!(
        decode(&rows_from_terminal(&screen)),
        expected_uri(user, &seed)
    );
    terminal.wait_for("First code from the app: ");
    (terminal, seed)
}

fn devices_of(user: &User) -> Vec<(String, Option<String>)> {
    let serial = format!("arn:aws:iam::123456789012:mfa/{}", user.name);
    moto()
        .mfa_devices()
        .into_iter()
        .filter(|(s, _)| *s == serial)
        .collect()
}

#[test]
fn setup_then_remove_from_the_terminal() {
    let home = Home::new();
    let carol = moto().user(false);
    home.user_account("carol", &carol);
    let config_before = std::fs::read_to_string(home.config_file()).unwrap();
    let png = home.dir.join("qr.png");
    let png_arg = png.to_str().unwrap();

    let (mut terminal, seed) = start_setup(&home, &carol, &["carol", "--qr-file", png_arg]);
    terminal.send(&format!("{}\n", moto().totp(&seed, 0)));
    terminal.wait_for("Next code (wait for it to change): ");
    terminal.send(&format!("{}\n", moto().totp(&seed, 1)));
    let out = home.output(terminal.output(), true).ok();
    let serial = format!("arn:aws:iam::123456789012:mfa/{}", carol.name);
    assert!(
        out.stderr.contains(&format!(
            "carol: MFA device {serial} is on, saved as mfa_serial"
        )),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains(&seed) && !out.stdout.contains(&seed),
        "seed only on the tty"
    );
    assert_eq!(
        devices_of(&carol),
        [(serial.clone(), Some(carol.name.clone()))]
    );

    // Only the one line was added to the config.
    let config_after = std::fs::read_to_string(home.config_file()).unwrap();
    let expected = config_before.replacen(
        "region = eu-west-1\n",
        &format!("region = eu-west-1\nmfa_serial = {serial}\n"),
        1,
    );
    assert_eq!(config_after, expected);

    // The QR file: private, and it decodes to the same URI.
    assert_eq!(
        std::fs::metadata(&png).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(decode(&rows_from_png(&png)), expected_uri(&carol, &seed));

    // The device works: a switch asks for its code.
    let out = home
        .run(&["switch", "carol", "--code", &moto().totp(&seed, 0)])
        .ok();
    assert!(
        out.stderr.contains("carol: new MFA session"),
        "{}",
        out.stderr
    );

    // Removal uses that MFA session, and gives the config back byte for byte.
    let out = home.run(&["mfa-device", "remove", "carol"]).ok();
    assert!(
        out.stderr.contains(&format!(
            "carol: MFA device {serial} deactivated and deleted"
        )),
        "{}",
        out.stderr
    );
    assert!(devices_of(&carol).is_empty());
    assert_eq!(
        std::fs::read_to_string(home.config_file()).unwrap(),
        config_before
    );
    assert!(!home.cache_file("carol").exists());
}

#[test]
fn the_qr_file_can_be_svg() {
    let home = Home::new();
    let dave = moto().user(false);
    home.user_account("dave", &dave);
    let svg = home.dir.join("qr.svg");
    let (mut terminal, seed) =
        start_setup(&home, &dave, &["dave", "--qr-file", svg.to_str().unwrap()]);
    assert_eq!(decode(&rows_from_svg(&svg)), expected_uri(&dave, &seed));
    terminal.send("\x03");
    let out = home.output(terminal.output(), true);
    out.fails(130);
}

#[test]
fn setup_refuses_a_user_who_has_a_device() {
    let home = Home::new();
    let alice = moto().user(true);
    // The profile does not name the device, but the user has one.
    home.profile("alice", &[]).keys("alice", &alice);
    let out = home.run(&["mfa-device", "setup", "alice"]).fails(3);
    let serial = alice.mfa_serial.as_deref().unwrap();
    assert!(
        out.stderr.contains(&format!(
            "already has MFA device {serial}: add mfa_serial = {serial}"
        )),
        "{}",
        out.stderr
    );
    home.user_account("alice2", &alice);
    let out = home.run(&["mfa-device", "setup", "alice2"]).fails(3);
    assert!(
        out.stderr.contains("alice2 already uses MFA device"),
        "{}",
        out.stderr
    );
    assert_eq!(devices_of(&alice).len(), 1);
}

#[test]
fn wrong_codes_leave_no_device_behind() {
    let home = Home::new();
    let erin = moto().user(false);
    home.user_account("erin", &erin);
    let config_before = std::fs::read(home.config_file()).unwrap();
    let (mut terminal, seed) = start_setup(&home, &erin, &["erin"]);
    let right = moto().totp(&seed, 0);
    let wrong = if right == "111111" {
        "222222"
    } else {
        "111111"
    };
    terminal.send(&format!("{wrong}\n"));
    terminal.wait_for("Next code");
    terminal.send("333333\n");
    let out = home.output(terminal.output(), true).fails(5);
    assert!(
        out.stderr.contains("; the new device was removed"),
        "{}",
        out.stderr
    );
    assert!(devices_of(&erin).is_empty(), "nothing half-made");
    assert_eq!(std::fs::read(home.config_file()).unwrap(), config_before);
}

#[test]
fn a_config_that_cannot_be_written_leaves_no_device_behind() {
    let home = Home::new();
    let frank = moto().user(false);
    // Keys only in the credentials file; the config's directory is a file, so it cannot be
    // written (tests run as root, which file modes do not stop).
    home.keys("frank", &frank);
    std::fs::write(home.dir.join("not-a-dir"), "").unwrap();
    let mut cmd = home.awsenv(&["mfa-device", "setup", "frank"]);
    cmd.env("AWS_CONFIG_FILE", home.dir.join("not-a-dir/config"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut terminal = Pty::spawn(cmd);
    terminal.wait_for("Or enter this key by hand: ");
    let seed: String = terminal.wait_for("\n").split_whitespace().collect();
    terminal.wait_for("First code from the app: ");
    terminal.send(&format!("{}\n", moto().totp(&seed, 0)));
    terminal.wait_for("Next code");
    terminal.send(&format!("{}\n", moto().totp(&seed, 1)));
    let out = home.output(terminal.output(), true).fails(3);
    assert!(
        out.stderr.contains("not-a-dir/config: Not a directory"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("; the new device was removed"),
        "{}",
        out.stderr
    );
    assert!(
        devices_of(&frank).is_empty(),
        "enabled, then taken down again"
    );
}

#[test]
fn ctrl_c_during_setup_leaves_no_device_behind() {
    let home = Home::new();
    let gina = moto().user(false);
    home.user_account("gina", &gina);
    let (mut terminal, _) = start_setup(&home, &gina, &["gina"]);
    terminal.send("\x03");
    let out = home.output(terminal.output(), true).fails(130);
    assert!(
        out.stderr.contains("the new device was removed"),
        "{}",
        out.stderr
    );
    assert!(devices_of(&gina).is_empty());
}

#[test]
fn a_device_missing_from_the_profile_is_found_and_can_be_saved() {
    let home = Home::new();
    let alice = moto().user(true);
    home.profile("alice", &[("region", "eu-west-1")])
        .keys("alice", &alice);
    let before = std::fs::read_to_string(home.config_file()).unwrap();
    let serial = alice.mfa_serial.clone().unwrap();
    let out = home
        .run(&["switch", "alice", "--code", &moto().code(&alice)])
        .ok();
    assert!(
        out.stderr.contains(&format!(
            "alice: found MFA device {serial}; to skip this lookup"
        )),
        "{}",
        out.stderr
    );
    assert_eq!(home.read_cache("alice")["kind"], "mfa");
    assert_eq!(std::fs::read_to_string(home.config_file()).unwrap(), before);

    let out = home
        .run(&["mfa", "alice", "--code", &moto().code(&alice), "--save"])
        .ok();
    assert!(out.stderr.contains("saved as mfa_serial"), "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(home.config_file()).unwrap(),
        format!("{before}mfa_serial = {serial}\n")
    );
}

/// The awsenv process of this test's home (not its awsenv-aws helper): signals are sent to it
/// alone, as `kill` would.
fn awsenv_pid(home: &Home) -> Pid {
    let exe = std::fs::canonicalize(crate::support::AWSENV).unwrap();
    let env = format!("HOME={}", home.dir.display());
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let is_awsenv = std::fs::read_link(entry.path().join("exe")).is_ok_and(|e| e == exe);
        let environ = std::fs::read(entry.path().join("environ")).unwrap_or_default();
        if is_awsenv && environ.split(|&b| b == 0).any(|v| v == env.as_bytes()) {
            return Pid::from_raw(pid);
        }
    }
    panic!("no awsenv process of {env}");
}

/// Holds moto's answer to the user's next `action` for `seconds` after it took effect.
fn delay_next(user: &User, action: &str, seconds: u32) {
    let body = format!(
        r#"{{"action":"{action}","user":"{}","seconds":{seconds}}}"#,
        user.name
    );
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", moto().port)).unwrap();
    write!(
        stream,
        "POST /_awsenv/delay HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.0 200"),
        "{answer}"
    );
}

/// Waits until moto has acted on `action` for the user (its answer may still be held back).
fn wait_for_call(user: &User, action: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !moto()
        .calls_by(&user.access_key_id)
        .iter()
        .any(|a| a == action)
    {
        assert!(Instant::now() < deadline, "no {action} call");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal_at_the_code_prompt_leaves_no_device_behind(signal: Signal, status: i32, says: &str) {
    let home = Home::new();
    let ivan = moto().user(false);
    home.user_account("ivan", &ivan);
    let (mut terminal, _) = start_setup(&home, &ivan, &["ivan"]);
    kill(awsenv_pid(&home), signal).unwrap();
    let out = home.output(terminal.output(), true).fails(status);
    assert!(
        out.stderr.contains(says) && out.stderr.contains("; the new device was removed"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(devices_of(&ivan).is_empty());
}

#[test]
fn sighup_during_setup_leaves_no_device_behind() {
    signal_at_the_code_prompt_leaves_no_device_behind(
        Signal::SIGHUP,
        129,
        "ivan: stopped by SIGHUP (the terminal closed) at the MFA prompt",
    );
}

#[test]
fn sigterm_during_setup_leaves_no_device_behind() {
    signal_at_the_code_prompt_leaves_no_device_behind(
        Signal::SIGTERM,
        143,
        "ivan: stopped by SIGTERM at the MFA prompt",
    );
}

#[test]
fn closing_the_terminal_during_setup_leaves_no_device_behind() {
    // The pty helper keeps its terminal open to the end; this one is closed at the prompt,
    // as a terminal window is: the kernel hangs up the terminal and sends SIGHUP.
    let home = Home::new();
    let judy = moto().user(false);
    home.user_account("judy", &judy);
    let OpenptyResult { master, slave } = openpty(None, None).unwrap();
    // awsenv must not hold the terminal open itself: only this test does.
    for fd in [&master, &slave] {
        fcntl(fd, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC)).unwrap();
    }
    let mut cmd = home.awsenv(&["mfa-device", "setup", "judy"]);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let slave_fd = slave.as_raw_fd();
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            nix::libc::setsid();
            if nix::libc::ioctl(slave_fd, nix::libc::TIOCSCTTY as _, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    let mut master = std::fs::File::from(master);
    let mut screen = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&screen).contains("First code from the app: ") {
        let n = master
            .read(&mut buf)
            .expect("the terminal shows the prompt");
        assert!(n > 0, "{}", String::from_utf8_lossy(&screen));
        screen.extend_from_slice(&buf[..n]);
    }
    // Until awsenv opened /dev/tty, the test's own end of the terminal kept it open.
    drop(slave);
    drop(master);
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let out = home
        .output(child.wait_with_output().unwrap(), true)
        .fails(129);
    assert!(
        out.stderr.contains("judy: stopped by SIGHUP")
            && out.stderr.contains("; the new device was removed"),
        "{}",
        out.stderr
    );
    assert!(devices_of(&judy).is_empty());
}

#[test]
fn ctrl_c_while_the_device_is_made_leaves_none_behind() {
    // Ctrl-C reaches the whole foreground job: awsenv-aws dies before it can pass on the
    // device IAM has just made.
    let home = Home::new();
    let kate = moto().user(false);
    home.user_account("kate", &kate);
    delay_next(&kate, "CreateVirtualMFADevice", 3);
    let mut cmd = home.awsenv(&["mfa-device", "setup", "kate"]);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut terminal = Pty::spawn(cmd);
    wait_for_call(&kate, "CreateVirtualMFADevice");
    assert_eq!(devices_of(&kate).len(), 1, "IAM made the device");
    terminal.send("\x03");
    let out = home.output(terminal.output(), true).fails(130);
    assert!(
        out.stderr
            .contains("kate: cancelled during setup; the new device was removed"),
        "{}",
        out.stderr
    );
    assert!(devices_of(&kate).is_empty());
}

/// Sends both codes, then `interrupt`s awsenv while IAM's answer to EnableMFADevice (which
/// has taken effect) is held back.
fn interrupted_while_enabling(interrupt: impl FnOnce(&Home, &mut Pty), status: i32, says: &str) {
    let home = Home::new();
    let liam = moto().user(false);
    home.user_account("liam", &liam);
    let config_before = std::fs::read(home.config_file()).unwrap();
    let (mut terminal, seed) = start_setup(&home, &liam, &["liam"]);
    delay_next(&liam, "EnableMFADevice", 3);
    terminal.send(&format!("{}\n", moto().totp(&seed, 0)));
    terminal.wait_for("Next code");
    terminal.send(&format!("{}\n", moto().totp(&seed, 1)));
    wait_for_call(&liam, "EnableMFADevice");
    let serial = format!("arn:aws:iam::123456789012:mfa/{}", liam.name);
    assert_eq!(devices_of(&liam), [(serial, Some(liam.name.clone()))]);
    interrupt(&home, &mut terminal);
    let out = home.output(terminal.output(), true).fails(status);
    assert!(
        out.stderr.contains(says) && out.stderr.contains("; the new device was removed"),
        "{}",
        out.stderr
    );
    assert!(devices_of(&liam).is_empty(), "deactivated and deleted");
    assert_eq!(std::fs::read(home.config_file()).unwrap(), config_before);
}

#[test]
fn sigterm_while_the_device_is_enabled_leaves_none_behind() {
    // awsenv alone gets the signal: its helper brings the answer, and undo follows.
    interrupted_while_enabling(
        |home, _| kill(awsenv_pid(home), Signal::SIGTERM).unwrap(),
        143,
        "liam: stopped by SIGTERM during setup",
    );
}

#[test]
fn ctrl_c_while_the_device_is_enabled_leaves_none_behind() {
    // The helper dies with awsenv's job: whether IAM enabled the device is unknown, and undo
    // takes it down either way.
    interrupted_while_enabling(
        |_, terminal| terminal.send("\x03"),
        130,
        "liam: cancelled during setup",
    );
}

#[test]
fn a_device_left_unassigned_is_named_and_replaced() {
    let home = Home::new();
    let mona = moto().user(false);
    home.user_account("mona", &mona);
    // Killed outright (SIGKILL cannot be caught), setup leaves its device behind.
    let (terminal, _) = start_setup(&home, &mona, &["mona"]);
    drop(terminal);
    let serial = format!("arn:aws:iam::123456789012:mfa/{}", mona.name);
    assert_eq!(devices_of(&mona), [(serial.clone(), None)]);

    let mut cmd = home.awsenv(&["mfa-device", "setup", "mona"]);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let out = home.output(Pty::spawn(cmd).output(), true).fails(3);
    assert_eq!(
        out.stderr,
        format!(
            "awsenv: mona: MFA device {serial} is left unassigned by a setup that did not \
             finish: run awsenv mfa-device setup mona --replace to delete it and start again\n"
        )
    );
    let out = home.run(&["mfa-device", "remove", "mona"]).fails(3);
    assert!(
        out.stderr.contains(&format!(
            "has no MFA device; {serial} is left unassigned by a setup that did not finish: \
             run awsenv mfa-device setup mona --replace"
        )),
        "{}",
        out.stderr
    );
    assert_eq!(devices_of(&mona), [(serial.clone(), None)]);

    let (mut terminal, seed) = start_setup(&home, &mona, &["mona", "--replace"]);
    terminal.send(&format!("{}\n", moto().totp(&seed, 0)));
    terminal.wait_for("Next code (wait for it to change): ");
    terminal.send(&format!("{}\n", moto().totp(&seed, 1)));
    let out = home.output(terminal.output(), true).ok();
    assert!(
        out.stderr.contains(&format!(
            "mona: deleted MFA device {serial}, left unassigned by an earlier setup"
        )) && out
            .stderr
            .contains(&format!("mona: MFA device {serial} is on")),
        "{}",
        out.stderr
    );
    assert_eq!(devices_of(&mona), [(serial, Some(mona.name.clone()))]);
}

#[test]
fn setup_and_remove_sign_with_a_key_in_the_keychain() {
    let keyring = crate::support::keyring::Keyring::new();
    let home = Home::new();
    home.use_keyring(&keyring);
    let dave = moto().user(false);
    // Stored as secret-tool stores it: awsenv finds items it did not write itself.
    keyring.store(&dave.access_key_id, &dave.secret_access_key);
    home.profile(
        "dave",
        &[
            ("region", "eu-west-1"),
            ("awsenv_keychain", &dave.access_key_id),
        ],
    );
    let (mut terminal, seed) = start_setup(&home, &dave, &["dave"]);
    terminal.send(&format!("{}\n", moto().totp(&seed, 0)));
    terminal.wait_for("Next code (wait for it to change): ");
    terminal.send(&format!("{}\n", moto().totp(&seed, 1)));
    home.output(terminal.output(), true).ok();
    let serial = format!("arn:aws:iam::123456789012:mfa/{}", dave.name);
    assert_eq!(devices_of(&dave), [(serial, Some(dave.name.clone()))]);
    assert!(
        moto()
            .calls_by(&dave.access_key_id)
            .contains(&"CreateVirtualMFADevice".to_owned())
    );
    home.run(&["switch", "dave", "--code", &moto().totp(&seed, 0)])
        .ok();
    home.run(&["mfa-device", "remove", "dave"]).ok();
    assert!(devices_of(&dave).is_empty());
}
