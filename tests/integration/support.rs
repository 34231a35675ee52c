//! Test support: a fresh PostgreSQL database per test, and the service spawned on a free port.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use microcred::config::Settings;
use microcred::domain::api_key::Role;
use microcred::domain::issuer::Slug;
use microcred::server;
use microcred::service::Microcred;
use microcred::service::clock::ManualClock;
use sqlx::Connection as _;
use tempfile::TempDir;
use url::Url;

/// A PostgreSQL database created for one test and dropped (with its connections) when the test ends.
pub struct PgDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl PgDatabase {
    /// `None` when `TEST_DATABASE_URL` is unset, so the PostgreSQL half of a test is skipped on a laptop
    /// without a server. CI sets it, and `REQUIRE_POSTGRES=1` turns a missing server into a failure.
    pub async fn create() -> Option<Self> {
        let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
            assert!(std::env::var("REQUIRE_POSTGRES").is_err(), "REQUIRE_POSTGRES is set but TEST_DATABASE_URL is not");
            eprintln!("skipping the PostgreSQL half: TEST_DATABASE_URL is not set");
            return None;
        };
        let name = format!("microcred_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&admin_url).await.expect("connect to TEST_DATABASE_URL");
        // `name` is our own hex UUID, never input.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
        let mut url = Url::parse(&admin_url).unwrap();
        url.set_path(&name);
        Some(Self { admin_url, name, url: url.to_string() })
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if std::env::var("KEEP_TEST_DB").is_ok() {
            return;
        }
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs outside async; a private runtime on its own thread does the cleanup.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async move {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}

/// Which database a test runs on.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The service running in this process on a free port, over its own database and key folder.
pub struct TestApp {
    pub base: String,
    pub app: Microcred,
    pub client: reqwest::Client,
    pub dir: TempDir,
    /// The resolved configuration it runs with (for a second process over the same database).
    pub config: microcred::config::Config,
    /// The clock it runs by, when the test moves time.
    pub clock: Option<Arc<ManualClock>>,
    _pg: Option<PgDatabase>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

/// A running lifecycle job; stopped (giving its lease up) by [`Lifecycle::stop`].
pub struct Lifecycle {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Lifecycle {
    pub async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.unwrap();
    }
}

impl TestApp {
    /// Spawns the service; `None` when the backend is PostgreSQL and no server is configured.
    pub async fn spawn(backend: Backend) -> Option<Self> {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Spawns the service after letting `adjust` change its settings.
    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> Option<Self> {
        Self::spawn_clocked(backend, None, adjust).await
    }

    /// Spawns the service running by `clock` (lifecycle and verdicts), after `adjust`.
    pub async fn spawn_clocked(
        backend: Backend,
        clock: Option<Arc<ManualClock>>,
        adjust: impl FnOnce(&mut Settings),
    ) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let pg = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(PgDatabase::create().await?),
        };
        let database_url = match &pg {
            Some(pg) => pg.url.clone(),
            None => format!("sqlite://{}", dir.path().join("db/microcred.db").display()),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address: SocketAddr = listener.local_addr().unwrap();
        let mut settings = Settings {
            database_url: Some(database_url.parse().unwrap()),
            keys_dir: Some(dir.path().join("keys")),
            public_url: Some(format!("http://127.0.0.1:{}", address.port()).parse().unwrap()),
            // Tests that deliver e-mail say so (`mail_concurrency`); the others queue it and send none.
            mail_outbox_dir: Some(dir.path().join("outbox")),
            mail_concurrency: Some(0),
            ..Settings::default()
        };
        adjust(&mut settings);
        let config = settings.resolve().unwrap();
        if std::env::var("TEST_LOG").is_ok() {
            microcred::telemetry::init(microcred::config::LogFormat::Text, "info");
        }
        let mut app = server::prepare(&config).await.unwrap().with_mail(server::mail_setup(&config).unwrap());
        if let Some(clock) = &clock {
            app = app.with_clock(Arc::clone(clock) as Arc<dyn microcred::service::clock::Clock>);
        }
        tokio::spawn(app.clone().run_deliveries());
        let router = server::router(app.clone(), &config);
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(server::serve(
            listener,
            router,
            async move {
                let _ = stop.await;
            },
            config.shutdown_timeout,
        ));
        Some(Self {
            base: format!("http://{address}"),
            app,
            client: reqwest::Client::new(),
            dir,
            config,
            clock,
            _pg: pg,
            _shutdown: shutdown,
        })
    }

    /// Another process of the service over the same database and keys (same clock), not serving HTTP: a
    /// replica, or the service restarted.
    pub async fn another_process(&self) -> Microcred {
        let mut app = server::prepare(&self.config).await.unwrap().with_mail(server::mail_setup(&self.config).unwrap());
        if let Some(clock) = &self.clock {
            app = app.with_clock(Arc::clone(clock) as Arc<dyn microcred::service::clock::Clock>);
        }
        app
    }

    /// Starts the lifecycle job of `app` (this process's or another's), every `interval`.
    pub fn run_lifecycle(app: &Microcred, interval: std::time::Duration) -> Lifecycle {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(app.clone().run_lifecycle(interval, async move {
            let _ = stopped.await;
        }));
        Lifecycle { stop, task }
    }

    /// The database URL the service runs on, for the command line (SQLite file or PostgreSQL).
    pub fn database_url(&self) -> String {
        match &self._pg {
            Some(pg) => pg.url.clone(),
            None => format!("sqlite://{}", self.dir.path().join("db/microcred.db").display()),
        }
    }

    /// The database URL the service runs on.
    pub fn config_database_url(&self) -> String {
        self._pg.as_ref().map(|pg| pg.url.clone()).unwrap_or_default()
    }

    /// `base` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A fresh token of `role` for the default issuer.
    pub async fn token(&self, role: Role) -> String {
        self.token_for("default", role).await
    }

    /// A fresh token of `role` for issuer `slug`.
    pub async fn token_for(&self, slug: &str, role: Role) -> String {
        let slug: Slug = slug.parse().unwrap();
        self.app.create_api_key(&slug, role, "test").await.unwrap().1.reveal()
    }

    /// Through the API, as an admin: another issuer (`slug`, `name`, `country`); asserts 201 and returns an
    /// assessor token for it.
    pub async fn another_issuer(&self, slug: &str, name: &str, country: &str) -> String {
        let admin = self.token(Role::Admin).await;
        let issuer = serde_json::json!({"slug": slug, "name": name, "country": country});
        let created =
            self.client.post(self.url("/api/v1/issuers")).bearer_auth(&admin).json(&issuer).send().await.unwrap();
        assert_eq!(created.status(), 201, "{}", created.text().await.unwrap());
        self.token_for(slug, Role::Assessor).await
    }

    /// Through the API: an issuer `ucs` (country BG, suspension as asked), an assessor token for it, and a
    /// micro-credential achievement of its catalogue. Returns `(assessor token, achievement id)`.
    pub async fn issuer_with_achievement(&self, suspension: bool) -> (String, String) {
        let admin = self.token(Role::Admin).await;
        let issuer = serde_json::json!({"slug": "ucs", "name": "Universal Certification Solutions", "country": "BG",
                                        "url": "https://ucs.example.eu", "suspension_enabled": suspension});
        let created =
            self.client.post(self.url("/api/v1/issuers")).bearer_auth(&admin).json(&issuer).send().await.unwrap();
        assert_eq!(created.status(), 201);
        let assessor = self.token_for("ucs", Role::Assessor).await;
        let achievement_id = create_achievement(&self.client, &self.base, &assessor).await;
        (assessor, achievement_id)
    }

    /// Awards through the API (`body` as `POST /api/v1/credentials` takes it); asserts 201 and returns
    /// `{id, credential, links}`.
    pub async fn award(&self, assessor: &str, body: serde_json::Value) -> serde_json::Value {
        let response =
            self.client.post(self.url("/api/v1/credentials")).bearer_auth(assessor).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        response.json().await.unwrap()
    }

    /// A JSON batch of awards of `achievement_id`, all issued (201): the batch's outcome.
    pub async fn batch(&self, assessor: &str, achievement_id: &str, rows: &serde_json::Value) -> serde_json::Value {
        let url = self.url(&format!("/api/v1/credentials/batch?achievement_id={achievement_id}"));
        let response = self.client.post(url).bearer_auth(assessor).json(rows).send().await.unwrap();
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        response.json().await.unwrap()
    }

    /// `GET path`, without a token, as JSON.
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        self.client.get(self.url(path)).send().await.unwrap().json().await.unwrap()
    }

    /// `GET path` with `token`, asserting 200: the JSON body.
    pub async fn get_json_as(&self, token: &str, path: &str) -> serde_json::Value {
        let response = self.client.get(self.url(path)).bearer_auth(token).send().await.unwrap();
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.unwrap()
    }

    /// How many credentials the database holds (up to 1,000), read behind the API's back.
    pub async fn stored_credentials(&self) -> usize {
        let filter = microcred::store::CredentialFilter { limit: 1000, ..Default::default() };
        self.app.store().list_credentials(&filter).await.unwrap().len()
    }

    /// The keys folder.
    pub fn keys_dir(&self) -> PathBuf {
        self.dir.path().join("keys")
    }
}

/// Creates the micro-credential achievement of `crate::achievements::micro_credential` on the server at `base`
/// (for tests that run servers of their own); asserts 201 and returns its id.
pub async fn create_achievement(client: &reqwest::Client, base: &str, assessor: &str) -> String {
    let response = client
        .post(format!("{base}/api/v1/achievements"))
        .bearer_auth(assessor)
        .json(&crate::achievements::micro_credential())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let achievement: serde_json::Value = response.json().await.unwrap();
    achievement["id"].as_str().unwrap().to_owned()
}

/// Asserts that a response is RFC 9457 problem details with `status`, and returns its body.
pub async fn assert_problem(response: reqwest::Response, status: u16) -> serde_json::Value {
    assert_eq!(response.status().as_u16(), status, "status");
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], status, "{body}");
    assert!(body["type"].as_str().unwrap().starts_with("/problems/"), "{body}");
    assert!(!body["title"].as_str().unwrap().is_empty(), "{body}");
    assert!(!body["detail"].as_str().unwrap().is_empty(), "{body}");
    body
}
