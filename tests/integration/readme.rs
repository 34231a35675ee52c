//! The README's assessor walk-through, run as written: `microcred serve` in an empty folder, then the
//! README's shell block in that folder (its `cargo run --release -q --` is this build's binary, its `API` the
//! server's address; nothing else changes). Every `curl` fails the script on an HTTP error, and each value the
//! README says a command prints (`… | jq … # value`) must be printed, in order. Needs bash, curl and jq.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

fn tools_present() -> bool {
    let present = ["bash", "curl", "jq"].iter().all(|tool| Command::new(tool).arg("--version").output().is_ok());
    if !present {
        assert!(std::env::var_os("REQUIRE_TOOLS").is_none(), "REQUIRE_TOOLS is set but bash, curl or jq is missing");
        eprintln!("skipping: the README walk-through needs bash, curl and jq (apt-get install curl jq)");
    }
    present
}

/// The shell block of the README's section "An assessor, from start to finish".
fn walk_through() -> String {
    let readme = include_str!("../../README.md");
    let section = readme.split("## An assessor, from start to finish").nth(1).expect("the section exists");
    let block = section.split("```sh\n").nth(1).expect("a sh block");
    block.split("\n```").next().unwrap().to_owned()
}

/// What the README says the commands print: the comment after each `jq` on the same line.
fn promised(script: &str) -> Vec<String> {
    script
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .filter_map(|line| {
            let (command, comment) = line.rsplit_once(" # ")?;
            command.contains("jq ").then(|| comment.trim().to_owned())
        })
        .collect()
}

/// Whether `line` is what the README promised, where `…` stands for anything.
fn matches(line: &str, promise: &str) -> bool {
    let parts: Vec<&str> = promise.split('…').collect();
    if parts.len() == 1 {
        return line == promise;
    }
    let mut rest = line;
    for (i, part) in parts.iter().enumerate() {
        match rest.find(part) {
            Some(at) if i > 0 || at == 0 => rest = &rest[at + part.len()..],
            _ => return false,
        }
    }
    parts.last().is_some_and(|last| last.is_empty() || line.ends_with(last))
}

#[test]
fn the_readme_walk_through_runs_as_written() {
    if !tools_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    // The only setting: where to listen (the README's 8080 may be taken where tests run).
    std::fs::write(
        dir.path().join("microcred.toml"),
        format!("bind = \"127.0.0.1:{port}\"\npublic_url = \"{base}\"\nmetrics_bind = \"127.0.0.1:0\"\n"),
    )
    .unwrap();
    let binary = env!("CARGO_BIN_EXE_microcred");
    let mut server = Command::new(binary)
        .arg("serve")
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let ready = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        crate::cli::plain_http::blocking_get(&format!("{base}/healthz")).is_ok_and(|status| status == 200)
    });
    assert!(ready, "serve did not start");

    let block = walk_through();
    let promises = promised(&block);
    assert!(promises.len() >= 8, "{promises:?}");
    let script = block
        .replace("cargo run --release -q --", &format!("'{binary}'"))
        .replace("API=http://127.0.0.1:8080", &format!("API={base}"));
    assert!(!script.contains("8080") && !script.contains("cargo "), "everything was substituted:\n{script}");
    // An HTTP error fails the script, as it would stop a person following along.
    let prelude = "set -euo pipefail\ncurl() { command curl --fail-with-body \"$@\"; }\n";
    let output =
        Command::new("bash").arg("-c").arg(format!("{prelude}{script}")).current_dir(dir.path()).output().unwrap();
    let _ = server.kill();
    let _ = server.wait();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the walk-through failed:\n{stdout}\n{stderr}");

    let lines: Vec<&str> = stdout.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut next = 0;
    for promise in &promises {
        match lines[next..].iter().position(|line| matches(line, promise)) {
            Some(at) => next += at + 1,
            None => panic!("the README promises {promise:?}, but the commands printed:\n{stdout}"),
        }
    }
    assert!(lines.iter().any(|l| l.starts_with(&format!("{base}/credentials/"))), "the page link:\n{stdout}");
    // The files the README says a learner gets.
    let pdf = std::fs::read(dir.path().join("certificate.pdf")).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let png = std::fs::read(dir.path().join("badge.png")).unwrap();
    assert!(microcred::certificate::badge::extract(&png).is_ok());
    assert!(Path::new(&dir.path().join("data/microcred.db")).exists(), "the README's data/ folder");
}

#[test]
fn the_promises_are_read_with_their_wildcards() {
    assert!(matches("did:web:127.0.0.1%3A9:issuers:ucs", "did:web:…:issuers:ucs"));
    assert!(!matches("did:key:z6Mk", "did:web:…:issuers:ucs"));
    assert!(matches("revoked", "revoked") && !matches("revoked!", "revoked"));
    assert_eq!(promised("x | jq -r .a   # valid\n# 1. jq # no\ny   # z"), ["valid"]);
}
