//! `awsenv mfa-device`: set up a virtual MFA device from the terminal (QR code read back by a
//! real decoder, codes computed from the seed it carries), remove it, discover one, and leave
//! nothing half-made when a step fails.

use crate::support::{Home, User, moto, pty::Pty};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;

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
    let out = std::process::Command::new(crate::support::venv_bin("python"))
        .args(["-c", script])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
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
