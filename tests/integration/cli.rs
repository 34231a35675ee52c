//! The `microcred` binary as an operator uses it.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn microcred(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_microcred"))
        .current_dir(dir)
        .args(args)
        .env_remove("MICROCRED_DATABASE_URL")
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// `microcred openapi | head -1`: a reader that stops early is not an error. Every command writes its output
/// through one function, so this holds for all of them.
#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_microcred"))
        .current_dir(dir.path())
        .arg("openapi")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Closing the only read end before the program writes: its first write fails with EPIPE.
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert_eq!(stderr(&output), "");
    assert!(output.status.success(), "{:?}", output.status);
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn api_key_create_prints_only_the_token() {
    let dir = tempfile::tempdir().unwrap();
    assert!(microcred(dir.path(), &["migrate"]).status.success());
    assert!(
        microcred(dir.path(), &["issuer", "create", "--slug", "ucs", "--name", "UCS", "--country", "BG"])
            .status
            .success()
    );
    let output =
        microcred(dir.path(), &["api-key", "create", "--issuer", "ucs", "--role", "assessor", "--name", "LMS"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let token = stdout(&output);
    let token = token.strip_suffix('\n').expect("one line");
    assert!(microcred::domain::api_key::ApiToken::parse(token).is_ok(), "stdout is exactly a token: {token:?}");

    let list = stdout(&microcred(dir.path(), &["api-key", "list"]));
    assert!(list.contains("ucs\tassessor\tLMS"), "{list}");
    assert!(!list.contains(&token[36..]), "the secret is never listed");
}

#[test]
fn keys_rotate_retires_the_old_key_in_keys_list() {
    let dir = tempfile::tempdir().unwrap();
    assert!(microcred(dir.path(), &["migrate"]).status.success());
    assert!(
        microcred(dir.path(), &["issuer", "create", "--slug", "ucs", "--name", "UCS", "--country", "BG"])
            .status
            .success()
    );
    let rotated = microcred(dir.path(), &["keys", "rotate", "--issuer", "ucs"]);
    assert!(rotated.status.success(), "{}", stderr(&rotated));
    let new_key = stdout(&rotated).trim().to_owned();
    let list = stdout(&microcred(dir.path(), &["keys", "list", "--issuer", "ucs"]));
    let lines: Vec<&str> = list.lines().skip(1).collect();
    assert_eq!(lines.len(), 2, "{list}");
    assert!(lines[0].contains("\tretired\t"), "{list}");
    assert!(lines[1].contains(&format!("#{new_key}\tactive\t")), "{list}");
}

#[test]
fn a_did_key_issuer_cannot_rotate() {
    let dir = tempfile::tempdir().unwrap();
    assert!(microcred(dir.path(), &["migrate"]).status.success());
    let created = microcred(
        dir.path(),
        &["issuer", "create", "--slug", "k", "--name", "K", "--country", "ES", "--did-method", "key"],
    );
    assert!(stdout(&created).contains("did:key:z6Mk"), "{}", stdout(&created));
    let rotated = microcred(dir.path(), &["keys", "rotate", "--issuer", "k"]);
    assert_eq!(rotated.status.code(), Some(1));
    assert!(stderr(&rotated).contains("cannot rotate"), "{}", stderr(&rotated));
}

#[test]
fn malformed_settings_give_one_line_naming_the_setting_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 4] = [
        (&["serve", "--bind", "nope"], "--bind"),
        (&["migrate", "--database-url", "mysql://root@localhost/x"], "database_url"),
        (&["issuer", "list", "--public-url", "https://x.eu/path"], "public_url"),
        (&["serve", "--max-body-bytes", "lots"], "--max-body-bytes"),
    ];
    for (args, setting) in cases {
        let output = microcred(dir.path(), args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let first = stderr(&output).lines().next().unwrap_or_default().to_owned();
        assert!(first.contains(setting), "{args:?}: {first}");
    }
    std::fs::write(dir.path().join("bad.toml"), "bnid = 1\n").unwrap();
    let output = microcred(dir.path(), &["--config", "bad.toml", "migrate"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("bnid"), "{}", stderr(&output));
    assert_eq!(stderr(&output).lines().count(), 1, "{}", stderr(&output));
}

#[test]
fn serve_refuses_a_key_file_readable_by_others_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    assert!(microcred(dir.path(), &["migrate"]).status.success());
    assert!(
        microcred(dir.path(), &["issuer", "create", "--slug", "ucs", "--name", "UCS", "--country", "BG"])
            .status
            .success()
    );
    let key_file = std::fs::read_dir(dir.path().join("keys/ucs")).unwrap().next().unwrap().unwrap().path();
    assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600, "created 0600");
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).unwrap();

    let port = free_port().to_string();
    let output = microcred(dir.path(), &["serve", "--bind", &format!("127.0.0.1:{port}")]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains(key_file.file_name().unwrap().to_str().unwrap()), "{err}");
    assert!(err.contains("644"), "{err}");
}

#[test]
fn serve_refuses_an_unreachable_database_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let output = microcred(dir.path(), &["serve", "--database-url", "postgres://postgres@127.0.0.1:1/none"]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("cannot prepare database postgres://postgres@127.0.0.1:1/none"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn serve_starts_with_no_configuration_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_microcred"))
        .current_dir(dir.path())
        .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--log-format", "json"])
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let health = loop {
        if let Ok(response) = plain_http::blocking_get(&format!("http://127.0.0.1:{port}/healthz")) {
            break response;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "serve did not come up");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(health, 200);
    assert!(dir.path().join("data/microcred.db").exists(), "default SQLite file created with its folder");
    assert!(dir.path().join("keys/default").is_dir(), "default issuer key generated on first start");

    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "exit {:?}", output.status);
    let logs = stderr(&output);
    let lines: Vec<Value> = logs.lines().map(|l| serde_json::from_str(l).expect("JSON log lines")).collect();
    assert!(lines.iter().any(|l| l["message"].as_str().is_some_and(|m| m.starts_with("listening on"))), "{logs}");
    assert!(lines.iter().any(|l| l["message"] == "shut down cleanly"), "{logs}");
    assert!(stdout(&output).is_empty(), "serve prints nothing on standard output");
}

pub mod plain_http {
    /// A tiny blocking GET over std, so this synchronous test needs no runtime: returns the status code.
    pub fn blocking_get(url: &str) -> std::io::Result<u16> {
        use std::io::{Read as _, Write as _};
        let rest = url.strip_prefix("http://").unwrap();
        let (host, path) = rest.split_once('/').unwrap();
        let mut stream = std::net::TcpStream::connect(host)?;
        write!(stream, "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        let status = response.split(' ').nth(1).and_then(|s| s.parse().ok());
        status.ok_or_else(|| std::io::Error::other("no status line"))
    }
}

#[test]
fn sign_then_verify_on_the_command_line_with_exit_codes_0_1_2() {
    let dir = tempfile::tempdir().unwrap();
    assert!(microcred(dir.path(), &["migrate"]).status.success());
    let created = microcred(dir.path(), &["issuer", "create", "--slug", "ucs", "--name", "UCS", "--country", "BG"]);
    let did = stdout(&created).split('\t').nth(1).unwrap().to_owned();
    let unsigned = microcred::vc::credential::example(&did, "http://localhost:8080").to_value();
    std::fs::write(dir.path().join("unsigned.json"), serde_json::to_vec(&unsigned).unwrap()).unwrap();

    for suite in ["eddsa-rdfc-2022", "eddsa-jcs-2022"] {
        let signed = microcred(dir.path(), &["sign", "--issuer", "ucs", "--cryptosuite", suite, "unsigned.json"]);
        assert!(signed.status.success(), "{}", stderr(&signed));
        let credential: Value = serde_json::from_slice(&signed.stdout).unwrap();
        assert_eq!(credential["proof"][0]["cryptosuite"], suite);
        std::fs::write(dir.path().join("signed.json"), &signed.stdout).unwrap();

        let verified = microcred(dir.path(), &["verify", "signed.json"]);
        assert_eq!(verified.status.code(), Some(0), "{}{}", stdout(&verified), stderr(&verified));
        assert!(stdout(&verified).starts_with("VERIFIED (valid)"), "{}", stdout(&verified));

        let json = microcred(dir.path(), &["verify", "--json", "signed.json"]);
        let report: Value = serde_json::from_slice(&json.stdout).unwrap();
        assert_eq!(report["verified"], true);

        let tampered = String::from_utf8(signed.stdout.clone()).unwrap().replace("Иван Петров", "Иван Петрова");
        std::fs::write(dir.path().join("tampered.json"), tampered).unwrap();
        let refused = microcred(dir.path(), &["verify", "tampered.json"]);
        assert_eq!(refused.status.code(), Some(1));
        assert!(stdout(&refused).starts_with("NOT VERIFIED (invalid)"), "{}", stdout(&refused));
    }

    std::fs::write(dir.path().join("garbage.json"), "{not json").unwrap();
    let garbage = microcred(dir.path(), &["verify", "garbage.json"]);
    assert_eq!(garbage.status.code(), Some(2));
    assert!(stderr(&garbage).contains("not JSON"), "{}", stderr(&garbage));
    // A did:web of another host cannot be resolved with network resolution off: could not check.
    let mut foreign = unsigned.clone();
    foreign["proof"] = serde_json::json!([{"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
        "verificationMethod": "did:web:elsewhere.example#key-1", "proofPurpose": "assertionMethod", "proofValue": "z1111"}]);
    std::fs::write(dir.path().join("foreign.json"), serde_json::to_vec(&foreign).unwrap()).unwrap();
    let foreign = microcred(dir.path(), &["verify", "foreign.json"]);
    assert_eq!(foreign.status.code(), Some(2));
    assert!(stderr(&foreign).contains("switched off"), "{}", stderr(&foreign));
}

#[test]
fn issuer_update_changes_the_profile_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    assert!(microcred(dir.path(), &["migrate"]).status.success());
    let created = microcred(dir.path(), &["issuer", "create", "--slug", "ucs", "--name", "UCS", "--country", "BG"]);
    assert!(created.status.success(), "{}", stderr(&created));
    let did = stdout(&created).split('\t').nth(1).unwrap().to_owned();

    let updated = microcred(
        dir.path(),
        &[
            "issuer",
            "update",
            "ucs",
            "--name",
            "Universal Certification Solutions",
            "--country",
            "gr",
            "--url",
            "https://ucs.example",
        ],
    );
    assert!(updated.status.success(), "{}", stderr(&updated));
    assert_eq!(stdout(&updated), format!("ucs\t{did}\tGR\tUniversal Certification Solutions\n"));
    assert!(stderr(&updated).contains("already issued are signed and stay as they are"), "{}", stderr(&updated));
    let list = stdout(&microcred(dir.path(), &["issuer", "list"]));
    assert!(list.contains(&format!("ucs\t{did}\tGR\tUniversal Certification Solutions")), "{list}");

    // Refused with the field named and nothing changed: the EU's code for Greece, a country removed.
    for bad in [&["--country", "EL"][..], &["--country", ""][..]] {
        let refused = microcred(dir.path(), &[&["issuer", "update", "ucs"][..], bad].concat());
        assert!(!refused.status.success());
        assert!(stderr(&refused).contains("country"), "{}", stderr(&refused));
    }
    let unknown = microcred(dir.path(), &["issuer", "update", "nobody", "--name", "X"]);
    assert!(!unknown.status.success());
    assert!(stdout(&microcred(dir.path(), &["issuer", "list"])).contains("\tGR\tUniversal Certification Solutions"));
}

#[test]
fn a_did_web_naming_this_machine_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    assert!(microcred(dir.path(), &["migrate"]).status.success());
    let local = microcred(dir.path(), &["issuer", "create", "--slug", "ucs", "--name", "UCS", "--country", "BG"]);
    assert!(local.status.success(), "{}", stderr(&local));
    assert_eq!(stdout(&local).lines().count(), 1, "stdout stays one line for scripts");
    let warning = stderr(&local);
    assert!(
        warning.contains("did:web:localhost%3A8080:issuers:ucs names this machine") && warning.contains("--public-url"),
        "{warning}"
    );
    let public = microcred(
        dir.path(),
        &[
            "issuer",
            "create",
            "--public-url",
            "https://certs.example.eu",
            "--slug",
            "eu",
            "--name",
            "EU",
            "--country",
            "GR",
        ],
    );
    assert!(public.status.success(), "{}", stderr(&public));
    assert!(!stderr(&public).contains("names this machine"), "{}", stderr(&public));
}

#[test]
fn commands_outside_the_servers_folder_refuse_rather_than_create_an_empty_database() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["api-key", "list"][..],
        &["issuer", "create", "--slug", "ucs", "--name", "UCS", "--country", "BG"],
        &["keys", "list", "--issuer", "ucs"],
    ] {
        let output = microcred(dir.path(), args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let message = stderr(&output);
        assert!(message.contains("there is no microcred database at data/microcred.db"), "{message}");
        assert!(message.contains("--database-url") && message.contains("--config"), "{message}");
    }
    assert!(!dir.path().join("data").exists(), "nothing was created");

    // The server's folder has a microcred.toml: commands run there read it, and find the same database.
    let server = dir.path().join("server");
    std::fs::create_dir(&server).unwrap();
    std::fs::write(
        server.join("microcred.toml"),
        "database_url = \"sqlite://state/certs.db\"\nkeys_dir = \"secrets\"\n",
    )
    .unwrap();
    assert!(microcred(&server, &["migrate"]).status.success());
    assert!(server.join("state/certs.db").exists(), "migrate read microcred.toml");
    let created = microcred(&server, &["issuer", "create", "--slug", "ucs", "--name", "UCS", "--country", "BG"]);
    assert!(created.status.success(), "{}", stderr(&created));
    assert!(server.join("secrets").is_dir(), "keys where the configuration says");
    // From elsewhere, --config points at it.
    let config = server.join("microcred.toml");
    let elsewhere = microcred(dir.path(), &["--config", config.to_str().unwrap(), "issuer", "list"]);
    assert!(
        stdout(&elsewhere).contains("ucs\t"),
        "paths in the file are relative to its folder: {}",
        stderr(&elsewhere)
    );
    let listed = microcred(&server, &["issuer", "list"]);
    assert!(stdout(&listed).contains("ucs\t"), "{}", stdout(&listed));
    assert!(!dir.path().join("data").exists() && !dir.path().join("secrets").exists(), "nothing created elsewhere");
    // A file that names only the database: keys go beside the file too, wherever the command runs (found by
    // review: they went to ./keys, where the server never looks).
    let other = dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("microcred.toml"), "database_url = \"sqlite://certs.db\"\n").unwrap();
    let config = other.join("microcred.toml");
    let config = config.to_str().unwrap();
    assert!(microcred(dir.path(), &["migrate", "--config", config]).status.success());
    let created = microcred(
        dir.path(),
        &["issuer", "create", "--config", config, "--slug", "b", "--name", "B", "--country", "IT"],
    );
    assert!(created.status.success(), "{}", stderr(&created));
    assert!(other.join("certs.db").exists() && other.join("keys/b").is_dir(), "beside the file");
    assert!(!dir.path().join("keys").exists());
    // verify needs no database: without one it says so and still checks other issuers' credentials.
    let peer =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/peer-signed/ob3-did-key-eddsa-rdfc-2022.json");
    let output = microcred(dir.path(), &["verify", peer.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}{}", stdout(&output), stderr(&output));
    assert!(stderr(&output).contains("no microcred database at data/microcred.db"), "{}", stderr(&output));
    assert!(!dir.path().join("data").exists(), "verify created no database");
}

#[test]
fn each_commands_help_lists_only_the_options_it_uses() {
    let dir = tempfile::tempdir().unwrap();
    let help = |args: &[&str]| stdout(&microcred(dir.path(), &[args, &["--help"]].concat()));
    let options = |text: &str| -> Vec<String> {
        text.lines()
            .filter_map(|l| l.trim_start().split([' ', ',']).find(|w| w.starts_with("--")).map(str::to_owned))
            .collect()
    };
    let serve = options(&help(&["serve"]));
    for flag in ["--bind", "--database-url", "--public-url", "--rate-limit-per-second", "--trusted-proxies"] {
        assert!(serve.iter().any(|o| o == flag), "serve --help lacks {flag}: {serve:?}");
    }
    let openapi = options(&help(&["openapi"]));
    assert_eq!(openapi, ["--config", "--log-format", "--log-level", "--help"], "openapi uses no setting");
    let api_key = options(&help(&["api-key", "create"]));
    assert!(api_key.iter().any(|o| o == "--database-url") && api_key.iter().any(|o| o == "--role"), "{api_key:?}");
    for unused in ["--bind", "--keys-dir", "--public-url", "--max-body-bytes", "--templates-dir"] {
        assert!(!api_key.iter().any(|o| o == unused), "api-key create --help lists {unused}");
    }
    let pdf = options(&help(&["pdf"]));
    assert!(pdf.iter().any(|o| o == "--templates-dir") && !pdf.iter().any(|o| o == "--bind"), "{pdf:?}");
    // Settings still come from the environment for any command that uses them.
    let output = Command::new(env!("CARGO_BIN_EXE_microcred"))
        .current_dir(dir.path())
        .env("MICROCRED_DATABASE_URL", format!("sqlite://{}", dir.path().join("elsewhere.db").display()))
        .args(["migrate"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(dir.path().join("elsewhere.db").exists());
}
