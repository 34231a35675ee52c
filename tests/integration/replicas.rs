//! Scale-out on PostgreSQL: two `microcred serve` processes over one database, started at the same moment
//! (so their migrations and first-start set-up race), take 2,000 awards from concurrent clients spread over
//! both (some sent with the same `Idempotency-Key` to both at once), then a few hundred revocations. Every
//! acknowledged award must exist exactly once, no two credentials may share a status-list index, every
//! credential must verify, and both replicas must publish the same status lists.

use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use serde_json::{Value, json};
use tokio::sync::Semaphore;

use crate::support::{PgDatabase, create_achievement};

struct Replica {
    child: Child,
    base: String,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn common_args(db: &str, dir: &std::path::Path) -> Vec<String> {
    [
        "--database-url",
        db,
        "--keys-dir",
        dir.join("keys").to_str().unwrap(),
        // Both replicas stand behind one public origin, as behind a load balancer.
        "--public-url",
        "http://certs.microcred.test",
        "--issuer-country",
        "BG",
        "--rate-limit-per-second",
        "0",
        "--metrics-bind",
        "127.0.0.1:0",
        "--log-level",
        "warn",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

fn start(db: &str, dir: &std::path::Path) -> Replica {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_microcred"))
        .current_dir(dir)
        .arg("serve")
        .args(common_args(db, dir))
        .args(["--bind", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Replica { child, base: format!("http://127.0.0.1:{port}") }
}

async fn ready(client: &reqwest::Client, replica: &Replica) {
    for _ in 0..200 {
        if client.get(format!("{}/readyz", replica.base)).send().await.is_ok_and(|r| r.status() == 200) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("replica {} did not become ready", replica.base);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_over_one_postgres_database_issue_and_revoke_consistently() {
    let Some(pg) = PgDatabase::create().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    // Both start at once on an empty database.
    let replicas = [start(&pg.url, dir.path()), start(&pg.url, dir.path())];
    for replica in &replicas {
        ready(&client, replica).await;
    }
    let output = Command::new(env!("CARGO_BIN_EXE_microcred"))
        .current_dir(dir.path())
        .args(["api-key", "create", "--issuer", "default", "--role", "assessor", "--name", "replicas"])
        .args(["--database-url", &pg.url])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let token = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    let achievement_id = create_achievement(&client, &replicas[0].base, &token).await;
    let bases: Vec<String> = replicas.iter().map(|r| r.base.clone()).collect();

    // 2,000 awards from 32 concurrent clients, alternating replicas; every 20th is also sent, with the same
    // Idempotency-Key and body, to the other replica at the same moment.
    let limit = Arc::new(Semaphore::new(32));
    let mut tasks = Vec::new();
    for i in 0..2000usize {
        let (client, token, bases, achievement_id, limit) =
            (client.clone(), token.clone(), bases.clone(), achievement_id.clone(), Arc::clone(&limit));
        tasks.push(tokio::spawn(async move {
            let _permit = limit.acquire().await.unwrap();
            let body = json!({"achievement_id": achievement_id, "recipient": {"name": format!("Learner {i}"), "email": format!("learner{i}@example.eu")}});
            let send = |base: &str| {
                client
                    .post(format!("{base}/api/v1/credentials"))
                    .bearer_auth(&token)
                    .header("Idempotency-Key", format!("award-{i}"))
                    .json(&body)
                    .send()
            };
            let mut acknowledged = Vec::new();
            let responses = if i % 20 == 0 {
                let (a, b) = tokio::join!(send(&bases[0]), send(&bases[1]));
                vec![a.unwrap(), b.unwrap()]
            } else {
                vec![send(&bases[i % 2]).await.unwrap()]
            };
            for response in responses {
                let status = response.status().as_u16();
                let body: Value = response.json().await.unwrap();
                match status {
                    200 | 201 => acknowledged.push(body["id"].as_str().unwrap().to_owned()),
                    // Losing an exact tie is allowed to ask for a retry; it must not create anything.
                    409 => assert!(body["detail"].as_str().unwrap().contains("retry"), "{body}"),
                    other => panic!("award {i}: {other} {body}"),
                }
            }
            (i, acknowledged)
        }));
    }
    let mut by_award: HashMap<usize, HashSet<String>> = HashMap::new();
    for task in tasks {
        let (i, ids) = task.await.unwrap();
        by_award.entry(i).or_default().extend(ids);
    }
    for (i, ids) in &by_award {
        assert_eq!(ids.len(), 1, "award {i} acknowledged as {ids:?}: one Idempotency-Key, one credential");
    }
    let acknowledged: HashSet<String> = by_award.values().flatten().cloned().collect();
    assert_eq!(acknowledged.len(), 2000);

    // The database holds exactly those, each with its own status-list index.
    let mut listed = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{}/api/v1/credentials?limit=1000", bases[1]);
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page: Value = client.get(&url).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        listed.extend(page["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(listed.len(), 2000, "nothing issued twice or half-written");
    assert_eq!(listed.iter().cloned().collect::<HashSet<_>>(), acknowledged);
    let mut slots = HashSet::new();
    let mut documents = HashMap::new();
    for id in &listed {
        let credential: Value =
            client.get(format!("{}/credentials/{id}.json", bases[0])).send().await.unwrap().json().await.unwrap();
        let entry = &credential["credentialStatus"];
        let slot = (
            entry["statusListCredential"].as_str().unwrap().to_owned(),
            entry["statusListIndex"].as_str().unwrap().to_owned(),
        );
        assert!(slots.insert(slot.clone()), "status index {slot:?} shared");
        documents.insert(id.clone(), credential);
    }

    // Revoke 300, spread over both replicas.
    let revoked: HashSet<String> = listed.iter().step_by(6).take(300).cloned().collect();
    for (n, id) in revoked.iter().enumerate() {
        let response = client
            .post(format!("{}/api/v1/credentials/{id}/revoke", bases[n % 2]))
            .bearer_auth(&token)
            .json(&json!({"reason": "replica test"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }

    // Both replicas publish the same lists, and they show every revocation and nothing else.
    let lists: HashSet<String> = slots.iter().map(|(list, _)| list.clone()).collect();
    for list in &lists {
        let path = list.strip_prefix("http://certs.microcred.test").unwrap();
        let mut bits = Vec::new();
        for base in &bases {
            let published: Value = client.get(format!("{base}{path}")).send().await.unwrap().json().await.unwrap();
            bits.push(
                microcred::domain::status::decode_list(published["credentialSubject"]["encodedList"].as_str().unwrap())
                    .unwrap(),
            );
        }
        assert_eq!(bits[0], bits[1], "replicas publish {list} differently");
        for (id, credential) in &documents {
            let entry = &credential["credentialStatus"];
            if entry["statusListCredential"] == list.as_str() {
                let index: u32 = entry["statusListIndex"].as_str().unwrap().parse().unwrap();
                assert_eq!(microcred::domain::status::bit(&bits[0], index), Some(revoked.contains(id)), "{id}");
            }
        }
    }

    // Every credential verifies on either replica, with the verdict its status calls for.
    let limit = Arc::new(Semaphore::new(16));
    let mut checks = Vec::new();
    for (n, id) in listed.iter().enumerate() {
        let (client, base, id, limit) = (client.clone(), bases[n % 2].clone(), id.clone(), Arc::clone(&limit));
        let expected = if revoked.contains(&id) { "revoked" } else { "valid" };
        checks.push(tokio::spawn(async move {
            let _permit = limit.acquire().await.unwrap();
            let report: Value =
                client.get(format!("{base}/api/v1/verify/{id}")).send().await.unwrap().json().await.unwrap();
            assert_eq!(report["outcome"], expected, "{id}: {report}");
        }));
    }
    for check in checks {
        check.await.unwrap();
    }
}
