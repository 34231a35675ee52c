//! Crash safety: the server killed with SIGKILL in the middle of a 10,000-row batch loses nothing it
//! acknowledged and leaves nothing half-written (SQLite, WAL), and the batch completes on a retry with the
//! same `Idempotency-Key`; losing PostgreSQL gives 503 problem details and recovers without a restart.

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::support::{Backend, PgDatabase, TestApp, assert_problem};

struct Server {
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(dir: &std::path::Path, port: u16) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_microcred"))
        .current_dir(dir)
        .args(["--bind", &format!("127.0.0.1:{port}"), "--public-url", &format!("http://127.0.0.1:{port}")])
        .args(["--metrics-bind", "127.0.0.1:0", "--rate-limit-per-second", "0", "--max-batch-bytes", "67108864"])
        .args(["--request-timeout-secs", "300", "--log-level", "warn", "serve"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Server { child }
}

async fn wait_ready(client: &reqwest::Client, base: &str) {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_in_the_middle_of_a_batch_loses_nothing_acknowledged_and_writes_nothing_half() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let cli = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_microcred"))
            .current_dir(dir.path())
            .args(["--public-url", &base])
            .args(args)
            .output()
            .unwrap()
    };
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
    let achievement: Value = client
        .post(format!("{base}/api/v1/achievements"))
        .bearer_auth(&token)
        .json(&crate::achievements::micro_credential())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let achievement_id = achievement["id"].as_str().unwrap().to_owned();

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
    let (assessor, achievement_id) = app.issuer_with_achievement(false).await;
    let award = |n: u32| {
        app.client.post(app.url("/api/v1/credentials")).bearer_auth(&assessor)
            .json(&json!({"achievement_id": achievement_id, "recipient": {"name": "Lucía", "email": format!("lucia{n}@example.es")}}))
            .send()
    };
    assert_eq!(award(0).await.unwrap().status(), 201);

    proxy.cut();
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let response = award(1).await.unwrap();
    assert!(response.headers().contains_key("retry-after"), "{}: {:?}", response.status(), response.headers());
    assert_problem(response, 503).await;

    proxy.restore();
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
    drop(pg);
}
