//! The command line: `serve`, `migrate`, and the operator commands for issuers, keys and API keys.
//! Every subcommand takes the same settings (see [`Settings`]).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;
use base64::Engine as _;
use clap::{Parser, Subcommand};
use uuid::Uuid;

use crate::config::{Config, ConfigError, Settings};
use crate::domain::api_key::{ApiKeyId, Role};
use crate::domain::issuer::{DidMethod, IssuerInput, PROFILE_CHANGE_APPLIES, Slug};
use crate::error::Error;
use crate::server;
use crate::vc::proof::Cryptosuite;
use crate::vc::verify::VerificationReport;
use serde_json::Value;

/// microcred: issue, print and verify Open Badges 3.0 micro-credentials.
///
/// Each command takes the settings it uses as flags (see its --help), as MICROCRED_* environment variables,
/// or from the configuration file.
#[derive(Debug, Parser)]
#[command(name = "microcred", version, about, long_about = None)]
pub struct Cli {
    /// TOML file with settings (same names as the flags, with underscores); default: microcred.toml in the
    /// current folder, if there is one
    #[arg(long, env = "MICROCRED_CONFIG", global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Logging, for every command.
    #[command(flatten)]
    pub log: LogArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Logging: flags of every command.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct LogArgs {
    /// Log format [default: text]
    #[arg(long, env = "MICROCRED_LOG_FORMAT", global = true, value_name = "FORMAT")]
    pub log_format: Option<crate::config::LogFormat>,
    /// Log filter, in tracing's EnvFilter syntax [default: info]
    #[arg(long, env = "MICROCRED_LOG_LEVEL", global = true, value_name = "FILTER")]
    pub log_level: Option<String>,
}

/// The database: for every command that reads or writes the server's data.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DatabaseArgs {
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB [default: sqlite://data/microcred.db]
    #[arg(long, env = "MICROCRED_DATABASE_URL", global = true, value_name = "URL")]
    pub database_url: Option<crate::config::DatabaseUrl>,
}

/// The issuers' keys and the public origin: for commands that sign, or that write addresses.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct IssuerArgs {
    /// Folder holding the issuers' private key files [default: keys]
    #[arg(long, env = "MICROCRED_KEYS_DIR", global = true, value_name = "DIR")]
    pub keys_dir: Option<PathBuf>,
    /// Public origin used in credential ids, QR codes and DIDs [default: http://localhost:8080]
    #[arg(long, env = "MICROCRED_PUBLIC_URL", global = true, value_name = "URL")]
    pub public_url: Option<url::Url>,
}

/// Certificate printing: for `pdf`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct PrintArgs {
    /// Folder with the operator's certificate templates in certificates/*.toml [default: templates]
    #[arg(long, env = "MICROCRED_TEMPLATES_DIR", value_name = "DIR")]
    pub templates_dir: Option<PathBuf>,
    /// Folder with the operator's fonts for scripts the bundled Noto Sans lacks [default: none]
    #[arg(long, env = "MICROCRED_FONTS_DIR", value_name = "DIR")]
    pub fonts_dir: Option<PathBuf>,
}

/// Verification of other issuers' credentials: for `verify`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct VerifyArgs {
    /// Resolve did:web DIDs of other hosts over HTTPS (true/false) [default: false]
    #[arg(long, env = "MICROCRED_DID_WEB_RESOLUTION", value_name = "BOOL")]
    pub did_web_resolution: Option<bool>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service (migrates the database and creates the default issuer on first start)
    Serve {
        /// Every setting (docs/operations.md, "Configuration").
        #[command(flatten)]
        settings: Box<Settings>,
    },
    /// Apply database migrations and exit
    Migrate {
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Create, list and revoke API keys
    ApiKey {
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
        /// What to do.
        #[command(subcommand)]
        command: ApiKeyCommand,
    },
    /// Create, update and list issuers (awarding bodies)
    Issuer {
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
        /// Keys and public origin.
        #[command(flatten)]
        keys: IssuerArgs,
        /// What to do.
        #[command(subcommand)]
        command: IssuerCommand,
    },
    /// List and rotate issuer signing keys
    Keys {
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
        /// Keys and public origin.
        #[command(flatten)]
        keys: IssuerArgs,
        /// What to do.
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Print the OpenAPI 3.1 description of the HTTP API
    Openapi,
    /// Verify a credential, a certificate PDF or a baked badge (PNG or SVG) and print the report; exit 0 verified,
    /// 1 not verified (or, for a PDF, printed facts that differ from the embedded credential), 2 could not check
    Verify {
        /// The file ("-" for standard input): JSON, PDF, PNG or SVG, recognised by its content
        file: PathBuf,
        /// Print the report as JSON
        #[arg(long)]
        json: bool,
        /// The database (this service's issuers' keys and status lists).
        #[command(flatten)]
        database: DatabaseArgs,
        /// Keys and public origin.
        #[command(flatten)]
        keys: IssuerArgs,
        /// Other issuers' keys.
        #[command(flatten)]
        verify: VerifyArgs,
    },
    /// Write the PDF certificate of an issued credential
    Pdf {
        /// The credential's id (its UUID)
        id: uuid::Uuid,
        /// Output file
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
        /// Label language: en, bg, el, es, it [default: the award's, then the achievement's, then en]
        #[arg(long, value_name = "LANG")]
        lang: Option<String>,
        /// Paper (landscape)
        #[arg(long, value_enum, default_value_t = PaperArg::A4)]
        paper: PaperArg,
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
        /// Keys and public origin.
        #[command(flatten)]
        keys: IssuerArgs,
        /// Templates and fonts.
        #[command(flatten)]
        print: PrintArgs,
    },
    /// Write the baked Open Badges 3.0 badge of an issued credential (an SVG when FILE ends in .svg, else a PNG)
    Badge {
        /// The credential's id (its UUID)
        id: uuid::Uuid,
        /// Output file (.png or .svg)
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
        /// Keys and public origin.
        #[command(flatten)]
        keys: IssuerArgs,
    },
    /// Sign an unsigned credential with an issuer's active key and print it on standard output
    Sign {
        /// Slug of the signing issuer
        #[arg(long, value_name = "SLUG")]
        issuer: Slug,
        /// Cryptosuite of the proof
        #[arg(long, value_enum, default_value_t = Cryptosuite::EddsaRdfc2022)]
        cryptosuite: Cryptosuite,
        /// The unsigned credential file ("-" for standard input)
        file: PathBuf,
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
        /// Keys and public origin.
        #[command(flatten)]
        keys: IssuerArgs,
    },
}

impl Command {
    /// The settings given as this command's flags (and their environment variables).
    fn flags(&self) -> Settings {
        let mut settings = Settings::default();
        let database = |s: &mut Settings, d: &DatabaseArgs| s.database_url.clone_from(&d.database_url);
        let issuer = |s: &mut Settings, i: &IssuerArgs| {
            s.keys_dir.clone_from(&i.keys_dir);
            s.public_url.clone_from(&i.public_url);
        };
        match self {
            Command::Serve { settings: all } => return (**all).clone(),
            Command::Openapi => {}
            Command::Migrate { database: d } | Command::ApiKey { database: d, .. } => database(&mut settings, d),
            Command::Issuer { database: d, keys: i, .. }
            | Command::Keys { database: d, keys: i, .. }
            | Command::Sign { database: d, keys: i, .. }
            | Command::Badge { database: d, keys: i, .. } => {
                database(&mut settings, d);
                issuer(&mut settings, i);
            }
            Command::Verify { database: d, keys: i, verify: v, .. } => {
                database(&mut settings, d);
                issuer(&mut settings, i);
                settings.did_web_resolution = v.did_web_resolution;
            }
            Command::Pdf { database: d, keys: i, print: p, .. } => {
                database(&mut settings, d);
                issuer(&mut settings, i);
                settings.templates_dir.clone_from(&p.templates_dir);
                settings.fonts_dir.clone_from(&p.fonts_dir);
            }
        }
        settings
    }
}

/// Paper sizes for `microcred pdf`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum PaperArg {
    /// ISO A4, landscape.
    A4,
    /// US Letter, landscape.
    Letter,
}

/// `microcred api-key …`.
#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create an API key and print only its token on standard output (it is shown once)
    Create {
        /// Slug of the issuer the key acts for
        #[arg(long, value_name = "SLUG")]
        issuer: Slug,
        /// What the key may do
        #[arg(long, value_enum)]
        role: Role,
        /// A label for people, e.g. "LMS integration"
        #[arg(long)]
        name: String,
    },
    /// List API keys (never their tokens)
    List,
    /// Revoke an API key; it stops working at once
    Revoke {
        /// The key's id (from `api-key list`)
        id: Uuid,
    },
}

/// `microcred issuer …`.
#[derive(Debug, Subcommand)]
pub enum IssuerCommand {
    /// Create an issuer with a new signing key
    Create {
        /// Short URL-safe name, part of the issuer's DID (a-z, 0-9, -)
        #[arg(long)]
        slug: String,
        /// Display name
        #[arg(long)]
        name: String,
        /// ISO 3166-1 alpha-2 country of the awarding body (e.g. BG)
        #[arg(long)]
        country: String,
        /// Home page
        #[arg(long)]
        url: Option<String>,
        /// Contact e-mail
        #[arg(long)]
        email: Option<String>,
        /// Description
        #[arg(long)]
        description: Option<String>,
        /// Logo image URL
        #[arg(long)]
        logo_url: Option<String>,
        /// How the issuer's DID is formed: `web` (rotatable) or `key` (one key, never rotates)
        #[arg(long, value_enum, default_value_t = DidMethod::Web)]
        did_method: DidMethod,
        /// Give its credentials a suspension status entry too (outside the OB 3.0 JSON Schema; see
        /// docs/standards.md, "Status lists")
        #[arg(long)]
        suspension: bool,
    },
    /// Change an issuer's profile; credentials issued from now on carry it, those already issued stay as
    /// they are. An empty value (`--url ""`) removes an optional field
    Update {
        /// The issuer's slug (it cannot change)
        slug: Slug,
        /// Display name
        #[arg(long)]
        name: Option<String>,
        /// ISO 3166-1 alpha-2 country of the awarding body (e.g. BG)
        #[arg(long)]
        country: Option<String>,
        /// Home page
        #[arg(long)]
        url: Option<String>,
        /// Contact e-mail
        #[arg(long)]
        email: Option<String>,
        /// Description
        #[arg(long)]
        description: Option<String>,
        /// Logo image URL
        #[arg(long, conflicts_with = "logo")]
        logo_url: Option<String>,
        /// Logo image file (PNG or SVG, at most 512 KiB), stored and served by microcred
        #[arg(long, value_name = "FILE")]
        logo: Option<PathBuf>,
        /// Whether its credentials get a suspension status entry too (from the next award on)
        #[arg(long)]
        suspension: Option<bool>,
        /// The name learners' e-mails come from (empty: the issuer's name)
        #[arg(long, value_name = "NAME")]
        mail_sender_name: Option<String>,
        /// Where learners' replies go (empty: the issuer's contact e-mail)
        #[arg(long, value_name = "EMAIL")]
        mail_reply_to: Option<String>,
        /// Whether learners' e-mails carry the PDF certificate as an attachment
        #[arg(long, value_name = "BOOL")]
        attach_pdf: Option<bool>,
        /// Whether wallets must prove control of a key (holder binding) to receive its credentials
        #[arg(long, value_name = "BOOL")]
        holder_binding_required: Option<bool>,
        /// Days before expiry learners are reminded, comma-separated, e.g. `90,30` (empty: no reminders)
        #[arg(long, value_name = "DAYS")]
        expiry_reminder_days: Option<String>,
    },
    /// List issuers
    List,
}

/// `microcred keys …`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List an issuer's keys, active and retired
    List {
        /// Issuer slug
        #[arg(long, value_name = "SLUG")]
        issuer: Slug,
    },
    /// Make a new active key; the old one is retired but stays published
    Rotate {
        /// Issuer slug
        #[arg(long, value_name = "SLUG")]
        issuer: Slug,
    },
}

/// How a command failed, which decides the exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A setting or argument is invalid: exit code 2, like clap's own usage errors.
    #[error("{0}")]
    Usage(String),
    /// The command ran and failed: exit code 1.
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
    /// The command said what it had to say; only the exit code remains (e.g. "not verified").
    #[error("exit code {0}")]
    Quiet(u8),
}

impl CliError {
    /// The process exit code.
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::Usage(_) => 2,
            Self::Failed(_) => 1,
            Self::Quiet(code) => i32::from(*code),
        }
    }
}

impl From<ConfigError> for CliError {
    fn from(e: ConfigError) -> Self {
        Self::Usage(e.to_string())
    }
}

impl From<Error> for CliError {
    fn from(e: Error) -> Self {
        match e {
            Error::Validation(v) => Self::Usage(v.to_string()),
            other => Self::Failed(anyhow::anyhow!(crate::http::problem::error_chain(&other))),
        }
    }
}

impl Cli {
    /// Merges flags and environment (already in `settings`) over the config file, then defaults.
    pub fn resolve_config(&self) -> Result<Config, ConfigError> {
        let mut flags = self.command.flags();
        flags.log_format = self.log.log_format.or(flags.log_format);
        flags.log_level = self.log.log_level.clone().or(flags.log_level);
        let default_file = Path::new(crate::config::DEFAULT_CONFIG_FILE);
        let file = match &self.config {
            Some(path) => Settings::from_file(path)?,
            None if default_file.is_file() => Settings::from_file(default_file)?,
            None => Settings::default(),
        };
        flags.or(file).resolve()
    }
}

/// Runs one command with a resolved configuration.
pub async fn run(command: Command, config: Config) -> Result<(), CliError> {
    match command {
        Command::Serve { .. } => serve(&config).await,
        Command::Migrate { .. } => {
            server::open_store(&config).await?.close().await;
            tracing::info!("migrations applied to {}", config.database_url);
            Ok(())
        }
        Command::ApiKey { command, .. } => api_key(command, &config).await,
        Command::Issuer { command, .. } => issuer(command, &config).await,
        Command::Keys { command, .. } => keys(command, &config).await,
        Command::Verify { file, json, .. } => verify(&file, json, &config).await,
        Command::Openapi => {
            let doc = crate::http::openapi::document();
            print(&format!("{}\n", doc.to_pretty_json().context("OpenAPI document")?))
        }
        Command::Sign { issuer, cryptosuite, file, .. } => sign(&issuer, cryptosuite, &file, &config).await,
        Command::Pdf { id, output, lang, paper, .. } => {
            let paper = match paper {
                PaperArg::A4 => crate::certificate::Paper::A4,
                PaperArg::Letter => crate::certificate::Paper::Letter,
            };
            download(&config, &output, |app| async move {
                app.certificate(crate::domain::award::CredentialId(id), lang.as_deref(), paper).await
            })
            .await
        }
        Command::Badge { id, output, .. } => {
            let svg = output.extension().is_some_and(|e| e.eq_ignore_ascii_case("svg"));
            let format = if svg { crate::domain::image::ImageType::Svg } else { crate::domain::image::ImageType::Png };
            download(
                &config,
                &output,
                |app| async move { app.badge(crate::domain::award::CredentialId(id), format).await },
            )
            .await
        }
    }
}

/// The application for a command other than `serve` and `migrate`: on the server's existing database. A
/// SQLite file that does not exist is refused rather than created, since a command run in the wrong folder
/// would otherwise work on a new, empty database and the server would never see what it did.
async fn open_app(config: &Config) -> Result<crate::service::Microcred, CliError> {
    if let Some(file) = config.database_url.sqlite_file()
        && !file.exists()
    {
        let folder = std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_else(|_| ".".into());
        return Err(CliError::Usage(format!(
            "there is no microcred database at {} (in {folder}). Run this command in the folder where `microcred \
             serve` runs (it reads microcred.toml there, if any), or point it at the server's database with \
             --database-url or MICROCRED_DATABASE_URL, or at its configuration with --config or MICROCRED_CONFIG. \
             (`microcred migrate` creates a new, empty database.)",
            file.display()
        )));
    }
    Ok(server::open_app(config).await?)
}

/// Reads a file, or standard input for `-`.
fn read_input(file: &Path) -> Result<Vec<u8>, CliError> {
    let bytes = if file.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes).map(|_| bytes)
    } else {
        std::fs::read(file)
    };
    bytes.map_err(|e| CliError::Usage(format!("cannot read {}: {e}", file.display())))
}

async fn verify(file: &Path, json: bool, config: &Config) -> Result<(), CliError> {
    let bytes = read_input(file)?;
    // Verifying needs no database of its own: without this service's, credentials of other issuers (did:key,
    // did:web with --did-web-resolution) are still checked, on an empty in-memory one.
    let app = match config.database_url.sqlite_file() {
        Some(missing) if !missing.exists() => {
            eprintln!(
                "note: no microcred database at {}: verifying without this service's issuers (run where `microcred \
                 serve` runs, or give --database-url, to check its credentials)",
                missing.display()
            );
            let mut config = config.clone();
            config.database_url = "sqlite::memory:".parse().unwrap_or_else(|e: std::convert::Infallible| match e {});
            server::open_app(&config).await?
        }
        _ => open_app(config).await?,
    };
    let result = app.verify_file(&bytes).await;
    app.store().close().await;
    let file_report = result.map_err(|e| {
        eprintln!("could not verify {}: {e}", file.display());
        CliError::Quiet(2)
    })?;
    if json {
        print(&format!("{}\n", serde_json::to_string_pretty(&file_report).context("report")?))?;
    } else {
        let mut text = render_report(&file_report.report);
        match &file_report.printed_mismatches {
            Some(m) if m.is_empty() => {
                text.push_str("  ok    printed   every fact the page prints is the signed credential's\n");
            }
            Some(m) => {
                for mismatch in m {
                    let line = match &mismatch.printed {
                        Some(printed) => format!(
                            "  fail  printed   {}: printed {printed:?}, signed {:?}\n",
                            mismatch.fact, mismatch.expected
                        ),
                        None => format!(
                            "  fail  printed   {}: the page does not show the signed {:?}\n",
                            mismatch.fact, mismatch.expected
                        ),
                    };
                    text.push_str(&line);
                }
            }
            None => {}
        }
        print(&text)?;
    }
    match file_report.report.outcome {
        _ if file_report.verified => Ok(()),
        // "Could not check" (exit 2), as for input that cannot be verified at all: not a verdict of forgery.
        crate::vc::verify::Outcome::StatusUnknown => Err(CliError::Quiet(2)),
        _ => Err(CliError::Quiet(1)),
    }
}

/// Renders a download of an issued credential into `output`.
async fn download<F, Fut>(config: &Config, output: &Path, make: F) -> Result<(), CliError>
where
    F: FnOnce(std::sync::Arc<crate::service::Microcred>) -> Fut,
    Fut: std::future::Future<Output = crate::error::Result<crate::service::downloads::PreparedDownload>>,
{
    let app = std::sync::Arc::new(open_app(config).await?);
    let result = match make(std::sync::Arc::clone(&app)).await {
        Ok(file) => file.render_blocking(&app).await,
        Err(e) => Err(e),
    };
    app.store().close().await;
    let bytes = result?;
    std::fs::write(output, &bytes).map_err(|e| CliError::Usage(format!("cannot write {}: {e}", output.display())))?;
    eprintln!("wrote {} ({} bytes)", output.display(), bytes.len());
    Ok(())
}

/// The report for people: the verdict, then one line per check.
fn render_report(report: &VerificationReport) -> String {
    let verdict =
        serde_json::to_value(report.outcome).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
    let mut out =
        if report.verified { format!("VERIFIED ({verdict})\n") } else { format!("NOT VERIFIED ({verdict})\n") };
    for check in &report.checks {
        let status =
            serde_json::to_value(check.status).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        out.push_str(&format!("  {status:<4}  {:<9} {}\n", check.name, check.detail));
    }
    out
}

async fn sign(issuer: &Slug, suite: Cryptosuite, file: &Path, config: &Config) -> Result<(), CliError> {
    let bytes = read_input(file)?;
    let credential: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| CliError::Usage(format!("{} is not JSON: {e}", file.display())))?;
    let app = open_app(config).await?;
    let signed = app.sign_credential(issuer, &credential, suite).await;
    app.store().close().await;
    print(&format!("{}\n", serde_json::to_string_pretty(&signed?).context("signed credential")?))
}

async fn serve(config: &Config) -> Result<(), CliError> {
    let started = Instant::now();
    let mail = server::mail_setup(config)?;
    // Not fatal (the mail server may come up later; messages wait in the outbox), but said at once.
    let check = mail.mailer.clone();
    tokio::spawn(async move {
        if let Err(e) = check.check().await {
            tracing::error!("cannot use the mail server ({}): {e}; messages wait in the outbox", check.describe());
        }
    });
    let app = server::prepare(config).await?.with_mail(mail);
    tokio::spawn(app.clone().run_deliveries());
    // The lifecycle job stops with the server, giving its lease up for another replica at once.
    let (stop_lifecycle, lifecycle_stopped) = tokio::sync::oneshot::channel::<()>();
    let lifecycle = tokio::spawn(app.clone().run_lifecycle(config.lifecycle_interval, async move {
        let _ = lifecycle_stopped.await;
    }));
    let store = app.shared_store();
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("cannot listen on {}", config.bind))?;
    let address = listener.local_addr().context("listener has no address")?;
    tracing::info!(
        database = %config.database_url,
        public_url = %config.public_url,
        startup_ms = started.elapsed().as_millis() as u64,
        "listening on http://{address}"
    );
    // Metrics on their own address; if it is taken (a second server on a developer's machine), say so and go on.
    crate::metrics::handle();
    match tokio::net::TcpListener::bind(config.metrics_bind).await {
        Ok(metrics) => {
            let address = metrics.local_addr().map(|a| a.to_string()).unwrap_or_default();
            tracing::info!("metrics on http://{address}/metrics");
            let router = crate::http::metrics_router(std::sync::Arc::new(app.clone()));
            tokio::spawn(async move { axum::serve(metrics, router).await });
        }
        Err(e) => tracing::warn!(error = %e, "metrics endpoint not started: cannot listen on {}", config.metrics_bind),
    }
    let router = server::router(app, config);
    server::serve(listener, router, server::shutdown_signal(), config.shutdown_timeout)
        .await
        .context("server failed")?;
    let _ = stop_lifecycle.send(());
    let _ = lifecycle.await;
    store.close().await;
    tracing::info!("shut down cleanly");
    Ok(())
}

async fn api_key(command: ApiKeyCommand, config: &Config) -> Result<(), CliError> {
    let app = open_app(config).await?;
    match command {
        ApiKeyCommand::Create { issuer, role, name } => {
            let (key, token) = app.create_api_key(&issuer, role, &name).await?;
            tracing::info!("created API key {} ({}) for issuer {issuer}", key.id, key.role.as_str());
            print(&format!("{}\n", token.reveal()))?;
        }
        ApiKeyCommand::List => {
            let issuers = app.issuers().await?;
            let mut out = String::from("ID\tISSUER\tROLE\tNAME\tCREATED\tREVOKED\n");
            for key in app.api_keys().await? {
                let slug = issuers.iter().find(|i| i.id == key.issuer_id).map_or("?", |i| i.slug.as_str());
                out.push_str(&format!(
                    "{}\t{slug}\t{}\t{}\t{}\t{}\n",
                    key.id,
                    key.role.as_str(),
                    key.name,
                    rfc3339(key.created_at),
                    key.revoked_at.map_or_else(|| "-".to_owned(), rfc3339),
                ));
            }
            print(&out)?;
        }
        ApiKeyCommand::Revoke { id } => {
            app.revoke_api_key(ApiKeyId(id)).await?;
            eprintln!("revoked API key {id}");
        }
    }
    app.store().close().await;
    Ok(())
}

async fn issuer(command: IssuerCommand, config: &Config) -> Result<(), CliError> {
    let app = open_app(config).await?;
    match command {
        IssuerCommand::Create { slug, name, country, url, email, description, logo_url, did_method, suspension } => {
            let new = IssuerInput {
                slug: Some(slug),
                name: Some(name),
                url,
                email,
                country: Some(country),
                description,
                logo_url,
                did_method: Some(did_method.as_str().to_owned()),
                suspension_enabled: Some(suspension),
                mail: None,
                holder_binding_required: None,
            }
            .validate()
            .map_err(Error::from)?;
            let (issuer, key) = app.create_issuer(new).await?;
            print(&format!("{}\t{}\t{}\n", issuer.slug, issuer.did, key.key_id))?;
            if let Some(warning) = local_did_warning(&issuer.did, &config.public_url) {
                eprintln!("{warning}");
            }
        }
        IssuerCommand::Update {
            slug,
            name,
            country,
            url,
            email,
            description,
            logo_url,
            logo,
            suspension,
            mail_sender_name,
            mail_reply_to,
            attach_pdf,
            holder_binding_required,
            expiry_reminder_days,
        } => {
            let text = |value: Option<String>| value.map(|v| if v.is_empty() { Value::Null } else { Value::String(v) });
            // A logo file goes in as a data: URL, which the update stores and replaces with its own address.
            let logo_url = match logo {
                Some(file) => {
                    let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
                    let image = crate::domain::image::check(bytes)
                        .map_err(|e| CliError::Usage(format!("{}: {e}", file.display())))?;
                    let encoded = base64::engine::general_purpose::STANDARD.encode(&image.content);
                    Some(format!("data:{};base64,{encoded}", image.kind.media_type()))
                }
                None => logo_url,
            };
            let mut patch = serde_json::Map::new();
            for (field, value) in [
                ("name", text(name)),
                ("country", text(country)),
                ("url", text(url)),
                ("email", text(email)),
                ("description", text(description)),
                ("logo_url", text(logo_url)),
                ("suspension_enabled", suspension.map(Value::Bool)),
                ("holder_binding_required", holder_binding_required.map(Value::Bool)),
            ] {
                if let Some(value) = value {
                    patch.insert(field.to_owned(), value);
                }
            }
            let mut mail = serde_json::Map::new();
            for (field, value) in [
                ("sender_name", text(mail_sender_name)),
                ("reply_to", text(mail_reply_to)),
                ("attach_pdf", attach_pdf.map(Value::Bool)),
                ("expiry_reminder_days", expiry_reminder_days.map(|d| reminder_days(&d)).transpose()?),
            ] {
                if let Some(value) = value {
                    mail.insert(field.to_owned(), value);
                }
            }
            if !mail.is_empty() {
                patch.insert("mail".to_owned(), Value::Object(mail));
            }
            let issuer = app.update_issuer(None, &slug, &Value::Object(patch)).await?;
            let country = issuer.country.as_ref().map_or("-", |c| c.as_str());
            print(&format!("{}\t{}\t{country}\t{}\n", issuer.slug, issuer.did, issuer.name))?;
            eprintln!("{PROFILE_CHANGE_APPLIES}");
        }
        IssuerCommand::List => {
            let mut out = String::from("SLUG\tDID\tCOUNTRY\tNAME\n");
            for issuer in app.issuers().await? {
                let country = issuer.country.as_ref().map_or("-", |c| c.as_str());
                out.push_str(&format!("{}\t{}\t{country}\t{}\n", issuer.slug, issuer.did, issuer.name));
            }
            print(&out)?;
        }
    }
    app.store().close().await;
    Ok(())
}

/// `--expiry-reminder-days 90,30` as the API's JSON array.
fn reminder_days(text: &str) -> Result<Value, CliError> {
    let days = crate::domain::lifecycle::parse_reminder_days(text)
        .map_err(|e| CliError::Usage(format!("--expiry-reminder-days {e}")))?;
    Ok(Value::Array(days.into_iter().map(Value::from).collect()))
}

async fn keys(command: KeysCommand, config: &Config) -> Result<(), CliError> {
    let app = open_app(config).await?;
    match command {
        KeysCommand::List { issuer } => {
            let (issuer, keys) = app.issuer_keys(&issuer).await?;
            let mut out = String::from("KEY ID\tSTATUS\tCREATED\tRETIRED\n");
            for key in keys {
                let status = if key.retired_at.is_some() { "retired" } else { "active" };
                out.push_str(&format!(
                    "{}#{}\t{status}\t{}\t{}\n",
                    issuer.did,
                    key.key_id,
                    rfc3339(key.created_at),
                    key.retired_at.map_or_else(|| "-".to_owned(), rfc3339),
                ));
            }
            print(&out)?;
        }
        KeysCommand::Rotate { issuer } => {
            let key = app.rotate_key(&issuer).await?;
            print(&format!("{}\n", key.key_id))?;
        }
    }
    app.store().close().await;
    Ok(())
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_else(|_| t.to_string())
}

fn print(text: &str) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        // The reader stopped early (`microcred openapi | head`): it has what it wanted, as with other tools.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        written => Ok(written.context("cannot write to standard output")?),
    }
}

/// A warning when a new `did:web` names this machine (`localhost`, a loopback or private address): verifiers
/// elsewhere cannot resolve it, and a `did:web` never changes, so the public URL must be set before issuers
/// are created.
fn local_did_warning(did: &str, public_url: &url::Url) -> Option<String> {
    let local = match public_url.host()? {
        url::Host::Domain(name) => name == "localhost" || name.ends_with(".localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback() || ip.is_private() || ip.is_unspecified(),
        url::Host::Ipv6(ip) => ip.is_loopback() || ip.is_unspecified(),
    };
    (local && did.starts_with("did:web:")).then(|| {
        format!(
            "warning: {did} names this machine ({public_url}): verifiers elsewhere cannot resolve it, and a did:web \
             never changes. For real credentials, set --public-url (MICROCRED_PUBLIC_URL) to the address the service \
             is reached at before creating issuers."
        )
    })
}
