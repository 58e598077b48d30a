//! The `feedback` binary as a person runs it: first start prints an admin
//! key once, the server answers, SIGTERM stops it cleanly, and the `keys`
//! subcommands manage keys in the same data folder.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn feedback(data: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_feedback"));
    cmd.env("FEEDBACK_DATA", data)
        .env("FEEDBACK_ADDR", "127.0.0.1:0")
        .env_remove("DYNAMODB_ENDPOINT")
        .env_remove("DYNAMODB_TABLE");
    cmd
}

/// What `feedback <args>` prints on stdout.
fn stdout(data: &std::path::Path, args: &[&str]) -> String {
    String::from_utf8(feedback(data).args(args).output().unwrap().stdout).unwrap()
}

fn get(addr: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn first_start_serve_and_stop_then_manage_keys() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = feedback(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let mut key = None;
    let mut addr = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(k) = line.split_whitespace().find(|w| w.starts_with("fbk_")) {
            key = Some(k.to_owned());
        }
        if let Some(a) = line.strip_prefix("Serving on http://") {
            addr = Some(a.split_whitespace().next().unwrap().to_owned());
            break;
        }
    }
    let (key, addr) = (
        key.expect("an admin key on first start"),
        addr.expect("the address"),
    );
    assert!(get(&addr, "/healthz").contains("\"ok\""));
    // SIGTERM: a graceful stop, exit status 0.
    Command::new("kill")
        .arg("-TERM")
        .arg(server.id().to_string())
        .status()
        .unwrap();
    assert!(server.wait().unwrap().success());

    // A second start prints no key: one already exists.
    let mut again = feedback(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let first = BufReader::new(again.stdout.take().unwrap())
        .lines()
        .next()
        .unwrap()
        .unwrap();
    assert!(first.starts_with("Serving on"), "{first}");
    again.kill().unwrap();
    again.wait().unwrap();

    let out = feedback(dir.path())
        .args([
            "keys",
            "create",
            "--scope",
            "scores:read",
            "--name",
            "dashboard",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let secret = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(secret.starts_with("fbk_") && secret != key);
    let list = stdout(dir.path(), &["keys", "list"]);
    assert_eq!(list.lines().count(), 2, "{list}");
    assert!(list.contains("scores:read") && !list.contains(&secret));
    let id = list
        .lines()
        .find(|l| l.contains("dashboard"))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    assert!(
        feedback(dir.path())
            .args(["keys", "revoke", &id])
            .status()
            .unwrap()
            .success()
    );
    let list = stdout(dir.path(), &["keys", "list"]);
    assert!(
        list.lines()
            .any(|l| l.starts_with(&id) && l.contains("revoked")),
        "{list}"
    );

    let bad = feedback(dir.path())
        .args(["keys", "create", "--scope", "root"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(
        String::from_utf8(bad.stderr)
            .unwrap()
            .contains("unknown scope")
    );
    assert!(
        !feedback(dir.path())
            .args(["keys", "revoke", "nosuchkey"])
            .status()
            .unwrap()
            .success()
    );
}
