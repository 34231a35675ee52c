//! Crash safety: the server killed with SIGKILL in the middle of a 10,000-row batch loses nothing it
//! acknowledged and leaves nothing half-written (SQLite, WAL), and the batch completes on a retry with the
//! same `Idempotency-Key`; losing PostgreSQL gives 503 problem details and recovers without a restart.

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::support::{Backend, PgDatabase, TestApp, assert_problem, create_achievement};

pub(crate) struct Server {
    pub(crate) child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(dir: &std::path::Path, port: u16) -> Server {
    serve_with(dir, port, &[])
}

/// `microcred serve` in `dir` on `port`, with `extra` arguments.
pub(crate) fn serve_with(dir: &std::path::Path, port: u16, extra: &[&str]) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_microcred"))
        .current_dir(dir)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--public-url", &format!("http://127.0.0.1:{port}")])
        .args(["--metrics-bind", "127.0.0.1:0", "--rate-limit-per-second", "0", "--max-batch-bytes", "67108864"])
        .args(["--request-timeout-secs", "300", "--log-level", "warn"])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Server { child }
}

pub(crate) async fn wait_ready(client: &reqwest::Client, base: &str) {
    for _ in 0..400 {
        if client.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status() == 200) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("{base} did not come up");
}

async fn total(client: &reqwest::Client, base: &str, token: &str) -> Vec<String> {
    let csv = client
        .get(format!("{base}/api/v1/credentials.csv"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    csv::Reader::from_reader(csv.as_bytes()).records().map(|r| r.unwrap()[0].to_owned()).collect()
}

/// A SQLite data folder with an issuer, an assessor's token and an achievement, made through the command line
/// and a first server (stopped again), for tests that start and kill servers themselves.
pub(crate) struct Setup {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) port: u16,
    pub(crate) base: String,
    pub(crate) token: String,
    pub(crate) achievement_id: String,
    pub(crate) client: reqwest::Client,
}

impl Setup {
    pub(crate) async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let base = format!("http://127.0.0.1:{port}");
        let cli = |args: &[&str]| {
            Command::new(env!("CARGO_BIN_EXE_microcred"))
                .current_dir(dir.path())
                .env("MICROCRED_PUBLIC_URL", &base)
                .args(args)
                .output()
                .unwrap()
        };
        assert!(cli(&["migrate"]).status.success());
        assert!(cli(&["issuer", "create", "--slug", "ucs", "--name", "UCS", "--country", "BG"]).status.success());
        let token = String::from_utf8(
            cli(&["api-key", "create", "--issuer", "ucs", "--role", "assessor", "--name", "crash"]).stdout,
        )
        .unwrap()
        .trim()
        .to_owned();
        let client = reqwest::Client::new();
        let server = serve(dir.path(), port);
        wait_ready(&client, &base).await;
        let achievement_id = create_achievement(&client, &base, &token).await;
        drop(server);
        Self { dir, port, base, token, achievement_id, client }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_in_the_middle_of_a_batch_loses_nothing_acknowledged_and_writes_nothing_half() {
    let Setup { dir, port, base, token, achievement_id, client } = Setup::new().await;
    let server = serve(dir.path(), port);
    wait_ready(&client, &base).await;

    // Acknowledged single awards.
    let mut acknowledged = Vec::new();
    for i in 0..20 {
        let response = client.post(format!("{base}/api/v1/credentials")).bearer_auth(&token)
            .json(&json!({"achievement_id": achievement_id, "recipient": {"name": format!("Single {i}"), "email": format!("single{i}@example.eu")}}))
            .send().await.unwrap();
        assert_eq!(response.status(), 201);
        acknowledged.push(response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned());
    }

    // A 10,000-row batch, killed while it is being signed and written.
    let mut csv_body = String::from("name;email\n");
    for i in 0..10_000 {
        csv_body.push_str(&format!("Иван Петров {i};learner{i}@example.eu\n"));
    }
    let send_batch = || {
        client
            .post(format!("{base}/api/v1/credentials/batch?achievement_id={achievement_id}"))
            .bearer_auth(&token)
            .header("content-type", "text/csv")
            .header("Idempotency-Key", "semester-batch")
            .body(csv_body.clone())
            .send()
    };
    let in_flight = tokio::spawn(send_batch());
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    Command::new("kill").args(["-KILL", &server.child.id().to_string()]).status().unwrap();
    drop(server);
    assert!(in_flight.await.unwrap().is_err(), "the batch was cut off, not answered");

    // After the restart: every acknowledged award is there and verifies; the batch is all there or not at all.
    let server = serve(dir.path(), port);
    wait_ready(&client, &base).await;
    let ids = total(&client, &base, &token).await;
    assert!(ids.len() == 20 || ids.len() == 10_020, "half a batch is visible: {} credentials", ids.len());
    for id in &acknowledged {
        assert!(ids.contains(id), "acknowledged award {id} lost");
        let report: Value =
            client.get(format!("{base}/api/v1/verify/{id}")).send().await.unwrap().json().await.unwrap();
        assert_eq!(report["outcome"], "valid", "{report}");
    }

    // The same batch again, with the same key: complete, once.
    let response = send_batch().await.unwrap();
    assert!([200, 201].contains(&response.status().as_u16()), "{}", response.status());
    let outcome: Value = response.json().await.unwrap();
    assert_eq!(outcome["issued"], 10_000);
    let again: Value = send_batch().await.unwrap().json().await.unwrap();
    assert_eq!(again, outcome, "a retry gets the same answer");
    let ids = total(&client, &base, &token).await;
    assert_eq!(ids.len(), 10_020, "no duplicates");
    // Every credential has its proof and status entry; a sample verifies.
    for row in outcome["rows"].as_array().unwrap().iter().step_by(997) {
        let id = row["id"].as_str().unwrap();
        let credential: Value =
            client.get(format!("{base}/credentials/{id}.json")).send().await.unwrap().json().await.unwrap();
        assert!(
            credential["proof"][0]["proofValue"].is_string()
                && credential["credentialStatus"]["statusListIndex"].is_string()
        );
        let report: Value =
            client.get(format!("{base}/api/v1/verify/{id}")).send().await.unwrap().json().await.unwrap();
        assert_eq!(report["outcome"], "valid");
    }
    drop(server);
}

/// A TCP proxy to PostgreSQL that the test can cut, as a network failure or a database restart would.
struct Proxy {
    port: u16,
    down: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Proxy {
    async fn start(target: String) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let down = Arc::new(AtomicBool::new(false));
        let links: Arc<Mutex<Vec<tokio::task::AbortHandle>>> = Arc::default();
        let (flag, list) = (Arc::clone(&down), Arc::clone(&links));
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else { continue };
                if flag.load(Ordering::SeqCst) {
                    continue; // refused: dropped at once
                }
                let target = target.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                list.lock().unwrap().push(task.abort_handle());
            }
        });
        Self { port, down, links }
    }

    fn cut(&self) {
        self.down.store(true, Ordering::SeqCst);
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }

    fn restore(&self) {
        self.down.store(false, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn losing_postgres_gives_503_and_recovers_without_a_restart() {
    let Some(pg) = PgDatabase::create().await else { return };
    let mut url = url::Url::parse(&pg.url).unwrap();
    let target = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432));
    let proxy = Proxy::start(target).await;
    url.set_port(Some(proxy.port)).unwrap();
    let proxied = url.to_string();
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.database_url = Some(proxied.parse().unwrap())).await.unwrap();
    outage_and_recovery(&app, || proxy.cut(), || proxy.restore()).await;
    drop(pg);
}

/// The SQLite file survives a kill at any point: eight times, the server is killed with SIGKILL at a random moment
/// while single awards, a batch and revocations are in flight. After each kill the file passes SQLite's own
/// integrity and foreign-key checks before anything reopens it through microcred, no credential lacks its
/// proof or status entry, and every award and revocation the server acknowledged, in any earlier round, is there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_moments_never_damages_the_sqlite_file() {
    let Setup { dir, port, base, token, achievement_id, client } = Setup::new().await;

    let awarded: Arc<Mutex<Vec<String>>> = Arc::default();
    let revoked: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut delays = Vec::new();
    for round in 0..8 {
        let server = serve(dir.path(), port);
        wait_ready(&client, &base).await;
        let mut work = Vec::new();
        for worker in 0..3 {
            let (client, base, token, achievement_id, awarded) =
                (client.clone(), base.clone(), token.clone(), achievement_id.clone(), Arc::clone(&awarded));
            work.push(tokio::spawn(async move {
                for n in 0.. {
                    let body = json!({"achievement_id": achievement_id,
                        "recipient": {"name": "Ελένη Νικολάου", "email": format!("r{round}w{worker}n{n}@example.gr")}});
                    let Ok(response) =
                        client.post(format!("{base}/api/v1/credentials")).bearer_auth(&token).json(&body).send().await
                    else {
                        return;
                    };
                    assert_eq!(response.status(), 201);
                    let Ok(credential) = response.json::<Value>().await else { return };
                    awarded.lock().unwrap().push(credential["id"].as_str().unwrap().to_owned());
                }
            }));
        }
        {
            let (client, base, token, achievement_id, awarded) =
                (client.clone(), base.clone(), token.clone(), achievement_id.clone(), Arc::clone(&awarded));
            work.push(tokio::spawn(async move {
                let mut csv_body = String::from("name;email\n");
                for i in 0..1_000 {
                    csv_body.push_str(&format!("María José {i};batch{round}-{i}@example.es\n"));
                }
                let Ok(response) = client
                    .post(format!("{base}/api/v1/credentials/batch?achievement_id={achievement_id}"))
                    .bearer_auth(&token)
                    .header("content-type", "text/csv")
                    .body(csv_body)
                    .send()
                    .await
                else {
                    return;
                };
                let Ok(outcome) = response.json::<Value>().await else { return };
                let ids = outcome["rows"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_owned());
                awarded.lock().unwrap().extend(ids);
            }));
        }
        {
            let (client, base, token, awarded, revoked) =
                (client.clone(), base.clone(), token.clone(), Arc::clone(&awarded), Arc::clone(&revoked));
            work.push(tokio::spawn(async move {
                loop {
                    let next = {
                        let (awarded, revoked) = (awarded.lock().unwrap(), revoked.lock().unwrap());
                        awarded.iter().find(|id| !revoked.contains(id)).cloned()
                    };
                    let Some(id) = next else {
                        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                        continue;
                    };
                    let Ok(response) = client
                        .post(format!("{base}/api/v1/credentials/{id}/revoke"))
                        .bearer_auth(&token)
                        .json(&json!({"reason": "test"}))
                        .send()
                        .await
                    else {
                        return;
                    };
                    assert_eq!(response.status(), 200, "revoking {id}");
                    revoked.lock().unwrap().push(id);
                }
            }));
        }
        let delay = 100 + u64::from(rand_core::RngCore::next_u32(&mut rand_core::OsRng) % 1_400);
        delays.push(delay);
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
        Command::new("kill").args(["-KILL", &server.child.id().to_string()]).status().unwrap();
        drop(server);
        for task in work {
            task.await.unwrap();
        }

        // The file as the kill left it, checked by SQLite itself before microcred opens it again.
        let db = dir.path().join("data/microcred.db");
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&db);
        let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect_with(&options).await.unwrap();
        let integrity: Vec<(String,)> = sqlx::query_as("PRAGMA integrity_check").fetch_all(&mut conn).await.unwrap();
        assert_eq!(integrity, [("ok".to_owned(),)], "after kills at {delays:?} ms");
        let orphans: Vec<(String,)> = sqlx::query_as("PRAGMA foreign_key_check").fetch_all(&mut conn).await.unwrap();
        assert!(orphans.is_empty(), "after kills at {delays:?} ms: {orphans:?}");
        let (half_written,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM credential WHERE status_list_id IS NULL OR status_index IS NULL \
             OR instr(document, '\"proofValue\"') = 0 OR instr(document, '\"credentialStatus\"') = 0",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
        assert_eq!(half_written, 0, "after kills at {delays:?} ms");
        let stored: Vec<(Vec<u8>, Option<String>)> =
            sqlx::query_as("SELECT credential_id, revoked_at FROM credential").fetch_all(&mut conn).await.unwrap();
        let stored: std::collections::HashMap<String, bool> = stored
            .into_iter()
            .map(|(id, revoked_at)| (uuid::Uuid::from_slice(&id).unwrap().to_string(), revoked_at.is_some()))
            .collect();
        for id in awarded.lock().unwrap().iter() {
            assert!(stored.contains_key(id), "acknowledged award {id} lost after kills at {delays:?} ms");
        }
        for id in revoked.lock().unwrap().iter() {
            assert!(stored[id], "acknowledged revocation of {id} lost after kills at {delays:?} ms");
        }
    }

    // Reopened by microcred, the credentials verify, and the revocations are published.
    let server = serve(dir.path(), port);
    wait_ready(&client, &base).await;
    let (awarded, revoked) = (awarded.lock().unwrap().clone(), revoked.lock().unwrap().clone());
    eprintln!("killed at {delays:?} ms; {} awards and {} revocations acknowledged", awarded.len(), revoked.len());
    assert!(
        awarded.len() > 6 && !revoked.is_empty(),
        "the rounds did work: {} awards, {} revocations",
        awarded.len(),
        revoked.len()
    );
    for id in awarded.iter().step_by(awarded.len() / 20 + 1).chain(revoked.iter().take(5)) {
        let report: Value =
            client.get(format!("{base}/api/v1/verify/{id}")).send().await.unwrap().json().await.unwrap();
        let expected = if revoked.contains(id) { "revoked" } else { "valid" };
        assert_eq!(report["outcome"], expected, "{id}: {report}");
    }
    drop(server);
}

/// A PostgreSQL server of the test's own (`initdb` into a temporary folder, on a free port), so that the test can
/// stop and start a real server without touching the shared one the other tests use. Run as the `postgres`
/// user when the tests run as root, since PostgreSQL refuses to run as root.
struct PrivatePostgres {
    dir: tempfile::TempDir,
    bin: std::path::PathBuf,
    port: u16,
    as_postgres: bool,
}

impl PrivatePostgres {
    /// `None` (the test is skipped) when PostgreSQL's server programs are not installed, unless
    /// `REQUIRE_POSTGRES` is set, as in CI.
    fn start() -> Option<Self> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .map(|version| version.path().join("bin"))
            .find(|bin| bin.join("initdb").exists() && bin.join("pg_ctl").exists());
        let Some(bin) = bin else {
            assert!(std::env::var("REQUIRE_POSTGRES").is_err(), "REQUIRE_POSTGRES is set but initdb is not installed");
            eprintln!("skipping: PostgreSQL's server programs (initdb, pg_ctl) are not installed");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let as_postgres = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.trim_ascii() == b"0");
        if as_postgres {
            let chown = Command::new("chown").args(["-R", "postgres:postgres"]).arg(dir.path()).status().unwrap();
            assert!(chown.success());
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let server = Self { dir, bin, port, as_postgres };
        let data = server.dir.path().join("data");
        let initdb = server
            .run("initdb", &["-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "-D"])
            .arg(&data)
            .output()
            .unwrap();
        assert!(initdb.status.success(), "initdb: {}", String::from_utf8_lossy(&initdb.stderr));
        server.ctl("start");
        Some(server)
    }

    fn run(&self, program: &str, args: &[&str]) -> Command {
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(self.bin.join(program));
            c
        } else {
            Command::new(self.bin.join(program))
        };
        command.args(args).stdin(Stdio::null());
        command
    }

    /// `pg_ctl start`, or `stop` in immediate mode: the server ends at once without a checkpoint, as in a
    /// crash, and the next start runs crash recovery.
    fn ctl(&self, action: &str) {
        let dir = self.dir.path();
        let options = format!("-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off", self.port, dir.display());
        let mut command = self.run("pg_ctl", &["-w", "-t", "60", "-D"]);
        command.arg(dir.join("data")).arg("-l").arg(dir.join("log"));
        match action {
            "start" => command.args(["-o", &options, "start"]),
            _ => command.args(["-m", "immediate", "stop"]),
        };
        let output = command.output().unwrap();
        let log = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
        assert!(output.status.success(), "pg_ctl {action}: {}\n{log}", String::from_utf8_lossy(&output.stderr));
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self.run("pg_ctl", &["-m", "immediate", "stop", "-D"]).arg(self.dir.path().join("data")).output();
    }
}

/// A real PostgreSQL server stopped (immediate mode, as in a crash) under a running microcred: readiness and awards
/// answer 503 problem details with `Retry-After` while it is down, and once it has started again (with crash
/// recovery) microcred serves again without a restart, and nothing acknowledged before the stop is lost.
#[tokio::test]
async fn stopping_a_real_postgres_server_gives_503_and_recovers_without_a_restart() {
    let Some(pg) = PrivatePostgres::start() else { return };
    let url = pg.url();
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.database_url = Some(url.parse().unwrap())).await.unwrap();
    outage_and_recovery(&app, || pg.ctl("stop"), || pg.ctl("start")).await;
}

/// An award, then `down()`: readiness and awards answer 503 problem details with `Retry-After`; then `up()`: the
/// server is ready again by itself within 10 s, awards again, and the first award is there and verifies.
async fn outage_and_recovery(app: &TestApp, down: impl FnOnce(), up: impl FnOnce()) {
    let (assessor, achievement_id) = app.issuer_with_achievement(false).await;
    let award = |n: u32| {
        app.client.post(app.url("/api/v1/credentials")).bearer_auth(&assessor)
            .json(&json!({"achievement_id": achievement_id, "recipient": {"name": "Ελένη", "email": format!("eleni{n}@example.gr")}}))
            .send()
    };
    let first: Value = award(0).await.unwrap().json().await.unwrap();
    let first_id = first["id"].as_str().expect("an award before the outage").to_owned();

    down();
    assert_eq!(app.client.get(app.url("/readyz")).send().await.unwrap().status(), 503);
    let response = award(1).await.unwrap();
    assert!(response.headers().contains_key("retry-after"), "{}: {:?}", response.status(), response.headers());
    assert_problem(response, 503).await;

    up();
    let mut recovered = false;
    for _ in 0..100 {
        if app.client.get(app.url("/readyz")).send().await.unwrap().status() == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(recovered, "the database came back but the server did not notice");
    assert_eq!(award(2).await.unwrap().status(), 201);
    let report: Value =
        app.client.get(app.url(&format!("/api/v1/verify/{first_id}"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(report["outcome"], "valid", "{report}");
}
